using System.Buffers;
using System.Text;

namespace Needle.Matching.Lists;

/// <summary>
/// Packs an entry's label, category, source, metadata (and its value when the signal type has no fixed-width binary
/// form) into one byte record: a flags byte, then each present string as a 7-bit-encoded length and UTF-8 bytes.
/// </summary>
internal static class EntryDetailCodec
{
    private const byte HasLabel = 1;
    private const byte HasCategory = 2;
    private const byte HasSource = 4;
    private const byte HasValue = 8;
    private const byte HasMetadata = 16;

    /// <summary>Writes the record; false (nothing written) when there is nothing to keep.</summary>
    public static bool TryEncode(HashListEntry entry, bool includeValue, ArrayBufferWriter<byte> output)
    {
        byte flags = 0;
        flags |= entry.Label is null ? (byte)0 : HasLabel;
        flags |= entry.Category is null ? (byte)0 : HasCategory;
        flags |= entry.Source is null ? (byte)0 : HasSource;
        flags |= includeValue ? HasValue : (byte)0;
        flags |= entry.Metadata.Count == 0 ? (byte)0 : HasMetadata;
        if (flags == 0)
        {
            return false;
        }

        output.GetSpan(1)[0] = flags;
        output.Advance(1);
        WriteString(entry.Label, output);
        WriteString(entry.Category, output);
        WriteString(entry.Source, output);
        if (includeValue)
        {
            WriteString(entry.Value, output);
        }

        if (entry.Metadata.Count != 0)
        {
            WriteNumber(entry.Metadata.Count, output);
            foreach (var (key, value) in entry.Metadata)
            {
                WriteString(key, output);
                WriteString(value ?? string.Empty, output);
            }
        }

        return true;
    }

    /// <summary>The record <see cref="TryEncode(HashListEntry, bool, ArrayBufferWriter{byte})"/> writes for the same entry, from its bytes.</summary>
    public static bool TryEncode(ImportRow row, bool includeValue, ArrayBufferWriter<byte> output)
    {
        byte flags = 0;
        flags |= row.HasLabel ? HasLabel : (byte)0;
        flags |= row.HasCategory ? HasCategory : (byte)0;
        flags |= row.HasSource ? HasSource : (byte)0;
        flags |= includeValue ? HasValue : (byte)0;
        flags |= row.MetadataCount == 0 ? (byte)0 : HasMetadata;
        if (flags == 0)
        {
            return false;
        }

        output.GetSpan(1)[0] = flags;
        output.Advance(1);
        if (row.HasLabel)
        {
            WriteBytes(row.Label, output);
        }

        if (row.HasCategory)
        {
            WriteBytes(row.Category, output);
        }

        if (row.HasSource)
        {
            WriteBytes(row.Source, output);
        }

        if (includeValue)
        {
            WriteBytes(row.Value, output);
        }

        if (row.MetadataCount != 0)
        {
            WriteNumber(row.MetadataCount, output);
            for (var i = 0; i < row.MetadataCount; i++)
            {
                WriteBytes(row.MetadataKey(i), output);
                WriteBytes(row.MetadataValue(i), output);
            }
        }

        return true;
    }

    private static void WriteBytes(ReadOnlySpan<byte> utf8, ArrayBufferWriter<byte> output)
    {
        WriteNumber(utf8.Length, output);
        utf8.CopyTo(output.GetSpan(utf8.Length));
        output.Advance(utf8.Length);
    }

    /// <summary>Reads a record written by <see cref="TryEncode(HashListEntry, bool, ArrayBufferWriter{byte})"/> onto a new entry of <paramref name="signalType"/>.</summary>
    public static HashListEntry Decode(ReadOnlySpan<byte> record, SignalType signalType, string? value, int id, bool enabled)
    {
        var flags = record[0];
        var position = 1;
        var label = (flags & HasLabel) != 0 ? ReadString(record, ref position) : null;
        var category = (flags & HasCategory) != 0 ? ReadString(record, ref position) : null;
        var source = (flags & HasSource) != 0 ? ReadString(record, ref position) : null;
        if ((flags & HasValue) != 0)
        {
            value = ReadString(record, ref position);
        }

        var entry = HashListEntry.Trusted(signalType, value ?? throw new InvalidDataException("A list entry record has no value."), id, enabled, label, category, source);
        if ((flags & HasMetadata) != 0)
        {
            var count = ReadNumber(record, ref position);
            var metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var key = ReadString(record, ref position);
                metadata[key] = ReadString(record, ref position);
            }

            entry = entry with { Metadata = metadata };
        }

        return entry;
    }

    private static void WriteString(string? text, ArrayBufferWriter<byte> output)
    {
        if (text is null)
        {
            return;
        }

        var length = Encoding.UTF8.GetByteCount(text);
        WriteNumber(length, output);
        var written = Encoding.UTF8.GetBytes(text, output.GetSpan(length));
        output.Advance(written);
    }

    /// <summary>Writes <paramref name="number"/> 7 bits a byte, low first (a compiled list's record length uses it too).</summary>
    internal static void WriteNumber(int number, ArrayBufferWriter<byte> output)
    {
        var span = output.GetSpan(5);
        var n = (uint)number;
        var i = 0;
        while (n >= 0x80)
        {
            span[i++] = (byte)(n | 0x80);
            n >>= 7;
        }

        span[i++] = (byte)n;
        output.Advance(i);
    }

    private static string ReadString(ReadOnlySpan<byte> record, ref int position)
    {
        var length = ReadNumber(record, ref position);
        var text = Encoding.UTF8.GetString(record.Slice(position, length));
        position += length;
        return text;
    }

    private static int ReadNumber(ReadOnlySpan<byte> record, ref int position)
    {
        uint n = 0;
        var shift = 0;
        while (true)
        {
            var b = record[position++];
            n |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (int)n;
            }

            shift += 7;
        }
    }
}
