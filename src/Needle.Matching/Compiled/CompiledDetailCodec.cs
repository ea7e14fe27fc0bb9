using System.Buffers;
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// An entry's label, category, source and metadata as one record of the <c>details</c> section: a 7-bit-encoded
/// length, a flags byte, then each present string as a 7-bit-encoded length and UTF-8 bytes (metadata: a count, then
/// key and value pairs).
/// </summary>
internal static class CompiledDetailCodec
{
    private const byte HasLabel = 1;
    private const byte HasCategory = 2;
    private const byte HasSource = 4;
    private const byte HasMetadata = 8;

    /// <summary>Writes the record (length prefix included) into <paramref name="output"/>; false when there is nothing to keep.</summary>
    public static bool TryEncode(HashListEntry entry, ArrayBufferWriter<byte> body, ArrayBufferWriter<byte> output)
    {
        byte flags = 0;
        flags |= entry.Label is null ? (byte)0 : HasLabel;
        flags |= entry.Category is null ? (byte)0 : HasCategory;
        flags |= entry.Source is null ? (byte)0 : HasSource;
        flags |= entry.Metadata.Count == 0 ? (byte)0 : HasMetadata;
        if (flags == 0)
        {
            return false;
        }

        body.ResetWrittenCount();
        body.GetSpan(1)[0] = flags;
        body.Advance(1);
        WriteString(entry.Label, body);
        WriteString(entry.Category, body);
        WriteString(entry.Source, body);
        if (entry.Metadata.Count != 0)
        {
            WriteNumber(entry.Metadata.Count, body);
            foreach (var (key, value) in entry.Metadata)
            {
                WriteString(key, body);
                WriteString(value ?? string.Empty, body);
            }
        }

        WriteNumber(body.WrittenCount, output);
        output.Write(body.WrittenSpan);
        return true;
    }

    /// <summary>Reads the length prefix at the start of <paramref name="data"/>: the record's length and the prefix's.</summary>
    public static bool TryReadLength(ReadOnlySpan<byte> data, out int length, out int prefix)
    {
        length = 0;
        prefix = 0;
        var shift = 0;
        while (prefix < data.Length && prefix < 5)
        {
            var b = data[prefix++];
            length |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return length >= 1;
            }

            shift += 7;
        }

        return false;
    }

    /// <summary>The entry rebuilt from its record (without the length prefix).</summary>
    public static HashListEntry Decode(ReadOnlySpan<byte> record, SignalType type, string value, int id)
    {
        var flags = record[0];
        var position = 1;
        var label = (flags & HasLabel) != 0 ? ReadString(record, ref position) : null;
        var category = (flags & HasCategory) != 0 ? ReadString(record, ref position) : null;
        var source = (flags & HasSource) != 0 ? ReadString(record, ref position) : null;
        var entry = HashListEntry.Trusted(type, value, id, true, label, category, source);
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

    private static void WriteString(string? value, ArrayBufferWriter<byte> output)
    {
        if (value is null)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(value);
        WriteNumber(bytes, output);
        Encoding.UTF8.GetBytes(value, output.GetSpan(bytes));
        output.Advance(bytes);
    }

    private static void WriteNumber(int value, ArrayBufferWriter<byte> output)
    {
        var span = output.GetSpan(5);
        var n = 0;
        var v = (uint)value;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[n++] = (byte)v;
        output.Advance(n);
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
        var value = 0;
        var shift = 0;
        while (true)
        {
            var b = record[position++];
            value |= (b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }

            shift += 7;
        }
    }
}
