using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// Reads a <c>hash,quality,path</c> list (the "csv" format) straight into a <see cref="CompiledListBuilder"/>: the file
/// is memory-mapped, cut into spans at line ends and the spans parsed in parallel, with no string per line; each
/// entry's details record (label, source, quality) is written as the csv reader's entry would encode it. Only plain
/// lines are taken: anything the csv reader treats specially or refuses (a quoted path, a byte order mark, unusual
/// spacing, a bad hash or quality, an all-zero hash, invalid UTF-8, an over-long line) makes it give up, and the
/// caller reads the file with the csv reader instead, which reports the problem with its line number as always.
/// </summary>
internal static unsafe class CsvSpanReader
{
    /// <summary>Bytes of file one parallel span covers (tests use smaller ones to get many groups).</summary>
    public const int SpanBytes = MappedSpanPipeline.SpanBytes;
    private const byte Label = 1;
    private const byte Source = 4;
    private const byte Metadata = 16;

    /// <summary>The records read, or null when the file needs the csv reader; entries go to list <paramref name="list"/>.</summary>
    public static int? TryRead(string path, string? source, int maxLineLength, CompiledListBuilder builder, ushort list, int spanBytes = SpanBytes) =>
        MappedSpanPipeline.Map(path, (data, length) => Read(data, length, SourceField(source), maxLineLength, builder, list, spanBytes));

    private static int? Read(nint data, long length, byte[]? source, int maxLineLength, CompiledListBuilder builder, ushort list, int spanBytes)
    {
        var start = HeaderEnd((byte*)data, length);
        var records = 0;
        var read = MappedSpanPipeline.Run(
            data,
            start,
            length,
            spanBytes,
            () => new Block((int)(Math.Min(spanBytes, length) / 64) + 16),
            (span, block) => Parse(span, source, maxLineLength, block),
            (blocks, bytes) =>
            {
                // The first spans tell the line length: the columns are sized once for the whole file (plus a little).
                long parsed = 0;
                foreach (var block in blocks)
                {
                    parsed += block.Count;
                }

                builder.ReservePdq(bytes == 0 ? 0 : (long)(parsed * ((double)(length - start) / bytes) * 1.01) + 1024);
            },
            block =>
            {
                if (block.Failed)
                {
                    return false;
                }

                builder.AppendPdqBlock(list, block.Words.AsSpan(0, block.Count * PdqHash.WordCount), block.Offsets.AsSpan(0, block.Count), block.Details.WrittenSpan);
                records += block.Count;
                return true;
            });
        return read ? records : null;
    }

    /// <summary>Where parsing starts: after the first content line when it is a header (its first field "hash" or "pdq").</summary>
    private static long HeaderEnd(byte* all, long length)
    {
        if (!MappedSpanPipeline.TryFirstLine(all, length, IsBlankOrComment, out var line, out var next))
        {
            return 0;
        }

        var comma = line.IndexOf((byte)',');
        var field = (comma < 0 ? line : line[..comma]).Trim(" \t\v\f\r"u8);
        return Ascii.EqualsIgnoreCase(field, "hash"u8) || Ascii.EqualsIgnoreCase(field, "pdq"u8) ? next : 0;
    }

    private static bool IsBlankOrComment(ReadOnlySpan<byte> line)
    {
        var trimmed = line.Trim(" \t\v\f\r"u8);
        return trimmed.IsEmpty || trimmed[0] == '#';
    }

    private static void Parse(ReadOnlySpan<byte> span, byte[]? source, int maxLineLength, Block block)
    {
        block.Reset();
        while (!span.IsEmpty)
        {
            // A "\r" ending the file's last line stays, and the line is refused: the csv reader decides it.
            var line = MappedSpanPipeline.NextLine(ref span, trimUnterminatedCr: false);
            if (!ParseLine(line, source, maxLineLength, block))
            {
                block.Failed = true;
                return;
            }
        }
    }

    private static bool ParseLine(ReadOnlySpan<byte> line, byte[]? source, int maxLineLength, Block block)
    {
        if (line.Length > maxLineLength || line.IndexOfAny((byte)'\0', (byte)'\r') >= 0)
        {
            return false;
        }

        var trimmed = line.TrimStart(" \t\v\f"u8);
        if (trimmed.IsEmpty || trimmed[0] == '#')
        {
            return true;
        }

        var firstComma = line.IndexOf((byte)',');
        if (firstComma < 0)
        {
            return false;
        }

        var hash = line[..firstComma].Trim(" \t\v\f"u8);
        if (hash.Length != PdqHash.HexLength)
        {
            return false;
        }

        block.Ensure();
        var words = block.Words.AsSpan(block.Count * PdqHash.WordCount, PdqHash.WordCount);
        if (!MappedSpanPipeline.TryParsePdq(hash, words))
        {
            return false;
        }

        var rest = line[(firstComma + 1)..];
        var secondComma = rest.IndexOf((byte)',');
        var quality = (secondComma < 0 ? rest : rest[..secondComma]).Trim(" \t\v\f"u8);
        var label = secondComma < 0 ? default : rest[(secondComma + 1)..];
        if (quality.Length > 3 || !label.IsEmpty && (label[0] == '"' || !Utf8.IsValid(label)))
        {
            return false;
        }

        var value = 0;
        foreach (var digit in quality)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (digit - '0');
        }

        if (value > 100)
        {
            return false;
        }

        WriteDetails(label, source, quality.IsEmpty ? -1 : value, block);
        block.Count++;
        return true;
    }

    /// <summary>The record the csv reader's entry encodes to: flags, label, source, metadata {quality}, behind its length.</summary>
    private static void WriteDetails(ReadOnlySpan<byte> label, byte[]? source, int quality, Block block)
    {
        byte flags = 0;
        flags |= label.IsEmpty ? (byte)0 : Label;
        flags |= source is null ? (byte)0 : Source;
        flags |= quality < 0 ? (byte)0 : Metadata;
        if (flags == 0)
        {
            block.Offsets[block.Count] = CompiledListLayout.NoDetails;
            return;
        }

        Span<byte> digits = stackalloc byte[3];
        var digitCount = 0;
        if (quality >= 0)
        {
            quality.TryFormat(digits, out digitCount, default, System.Globalization.CultureInfo.InvariantCulture);
        }

        var bodyLength = 1
            + (label.IsEmpty ? 0 : MappedSpanPipeline.NumberLength(label.Length) + label.Length)
            + (source?.Length ?? 0)
            + (quality < 0 ? 0 : 1 + 1 + "quality"u8.Length + 1 + digitCount);
        var output = block.Details;
        block.Offsets[block.Count] = output.WrittenCount;
        EntryDetailCodec.WriteNumber(bodyLength, output);
        output.GetSpan(1)[0] = flags;
        output.Advance(1);
        if (!label.IsEmpty)
        {
            EntryDetailCodec.WriteNumber(label.Length, output);
            output.Write(label);
        }

        if (source is not null)
        {
            output.Write(source);
        }

        if (quality >= 0)
        {
            EntryDetailCodec.WriteNumber(1, output);
            EntryDetailCodec.WriteNumber("quality"u8.Length, output);
            output.Write("quality"u8);
            EntryDetailCodec.WriteNumber(digitCount, output);
            output.Write(digits[..digitCount]);
        }
    }

    /// <summary>The source's string as a record holds it (length, UTF-8), or null for none.</summary>
    private static byte[]? SourceField(string? source)
    {
        if (source is null)
        {
            return null;
        }

        var output = new ArrayBufferWriter<byte>();
        var bytes = Encoding.UTF8.GetBytes(source);
        EntryDetailCodec.WriteNumber(bytes.Length, output);
        output.Write(bytes);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>One span's rows: PDQ words, details offsets relative to the span's own details bytes.</summary>
    private sealed class Block(int capacity)
    {
        public ulong[] Words { get; private set; } = new ulong[capacity * PdqHash.WordCount];

        public long[] Offsets { get; private set; } = new long[capacity];

        public ArrayBufferWriter<byte> Details { get; } = new(capacity * 32);

        public int Count { get; set; }

        public bool Failed { get; set; }

        public void Reset()
        {
            Count = 0;
            Failed = false;
            Details.ResetWrittenCount();
        }

        public void Ensure()
        {
            if (Count < Offsets.Length)
            {
                return;
            }

            var words = Words;
            Array.Resize(ref words, words.Length * 2);
            Words = words;
            var offsets = Offsets;
            Array.Resize(ref offsets, offsets.Length * 2);
            Offsets = offsets;
        }
    }
}
