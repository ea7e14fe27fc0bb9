using System.Buffers;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// An entry's label, category, source and metadata as one record of the <c>details</c> section: a 7-bit-encoded
/// length, then the record of <see cref="EntryDetailCodec"/> (a flags byte, then each present string as a 7-bit-encoded
/// length and UTF-8 bytes; metadata: a count, then key and value pairs).
/// </summary>
internal static class CompiledDetailCodec
{
    /// <summary>Writes the record (length prefix included) into <paramref name="output"/>; false when there is nothing to keep.</summary>
    public static bool TryEncode(HashListEntry entry, ArrayBufferWriter<byte> body, ArrayBufferWriter<byte> output)
    {
        // The record is the list's own detail record (without the value: the columns hold it), behind a length prefix.
        body.ResetWrittenCount();
        if (!EntryDetailCodec.TryEncode(entry, includeValue: false, body))
        {
            return false;
        }

        EntryDetailCodec.WriteNumber(body.WrittenCount, output);
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
    public static HashListEntry Decode(ReadOnlySpan<byte> record, SignalType type, string value, int id) =>
        EntryDetailCodec.Decode(record, type, value, id, enabled: true);
}
