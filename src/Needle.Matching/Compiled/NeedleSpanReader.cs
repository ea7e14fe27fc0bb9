using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// Reads a list in Needle's native format (a header line, then one JSON object per entry) straight into a
/// <see cref="CompiledListBuilder"/>: the header is read by the native reader itself, then the memory-mapped file is cut
/// into spans at line ends and the spans parsed in parallel, one <see cref="NeedleEntryReader"/> per lane reading the
/// mapped UTF-8 bytes. Rows are appended in file order, so the compiled file is the one the native reader's entries
/// would build. Only lines that reader takes as they are count: anything else (a line it refuses, a byte order mark,
/// invalid UTF-8, a NUL, an over-long line, a vPDQ or robust entry, a repeated id) makes it give up, and the caller reads
/// the file the ordinary way, which reports any problem with its line number as always.
/// </summary>
internal static unsafe class NeedleSpanReader
{
    /// <summary>Bytes of file one parallel span covers (tests use smaller ones to get many groups).</summary>
    public const int SpanBytes = MappedSpanPipeline.SpanBytes;

    /// <summary>The list (name, kind, thresholds from the header) and the records read, or null when the file needs the native reader.</summary>
    public static ImportResult? TryRead(string path, ImportOptions options, CompiledListBuilder builder, ushort list, out long directRows, int spanBytes = SpanBytes)
    {
        long direct = 0;
        var result = MappedSpanPipeline.Map(path, (data, length) => Read(data, length, options, builder, list, spanBytes, out direct));
        directRows = direct;
        return result;
    }

    private static ImportResult? Read(nint data, long length, ImportOptions options, CompiledListBuilder builder, ushort list, int spanBytes, out long directRows)
    {
        directRows = 0;
        var all = (byte*)data;
        var start = HeaderEnd(all, length);
        if (start <= 0)
        {
            return null;
        }

        HashList header;
        try
        {
            // The header (and any blank lines before it) through the native reader itself: name, kind, thresholds and
            // every check on them exactly as a whole read makes them.
            using var head = new UnmanagedMemoryStream(all, start);
            header = HashListFormats.Default.Read(head, options with { EntrySink = static (_, _) => { } }, "needle").List;
        }
        catch (HashListFormatException)
        {
            return null;
        }

        var records = 0;
        long direct = 0;

        // Each block keeps its entry reader (and its string pool) from group to group.
        var read = MappedSpanPipeline.Run(
            data,
            start,
            length,
            spanBytes,
            () => new Block((int)(Math.Min(spanBytes, length) / 128) + 16, options.MaxJsonDepth),
            (span, block) => Parse(span, options.MaxLineLength, block),
            (blocks, bytes) => Reserve(builder, blocks, bytes, length - start),
            block =>
            {
                if (block.Failed || !builder.AppendRows(
                    list,
                    block.Types.AsSpan(0, block.Count),
                    block.Ids.AsSpan(0, block.Count),
                    block.Enabled.AsSpan(0, block.Count),
                    block.Values.AsSpan(0, block.ValueWords),
                    block.Offsets.AsSpan(0, block.Count),
                    block.Details.WrittenSpan))
                {
                    return false;
                }

                records += block.Records;
                direct += block.DirectRows;
                return true;
            });
        directRows = direct;
        return read ? new ImportResult("needle", header, [], records, 0) : null;
    }

    /// <summary>The first spans tell the line length: the columns are sized once for the whole file (plus a little).</summary>
    private static void Reserve(CompiledListBuilder builder, ReadOnlySpan<Block> blocks, long bytes, long total)
    {
        if (bytes == 0)
        {
            return;
        }

        Span<long> counts = stackalloc long[CompiledListLayout.Types.Count];
        foreach (var block in blocks)
        {
            foreach (var type in block.Types.AsSpan(0, block.Count))
            {
                counts[type]++;
            }
        }

        for (var type = 0; type < counts.Length; type++)
        {
            if (counts[type] > 0)
            {
                builder.Reserve(type, (long)(counts[type] * ((double)total / bytes) * 1.01) + 1024);
            }
        }
    }

    /// <summary>Where entries start: after the first line that is not blank (the header), or 0 when there is none.</summary>
    private static long HeaderEnd(byte* all, long length)
    {
        long position = 0;
        while (position < length)
        {
            var rest = new ReadOnlySpan<byte>(all + position, (int)Math.Min(int.MaxValue, length - position));
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            var next = newline < 0 ? length : position + newline + 1;
            if (!IsBlank(line))
            {
                return next;
            }

            position = next;
        }

        return 0;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line) => line.IndexOfAnyExcept(" \t\r\v\f"u8) < 0;

    private static void Parse(ReadOnlySpan<byte> span, int maxLineLength, Block block)
    {
        block.Reset();

        // The native reader reads strict UTF-8 and fails on a NUL: such a file is its to report.
        if (span.IndexOf((byte)0) >= 0 || !Utf8.IsValid(span))
        {
            block.Failed = true;
            return;
        }

        while (!span.IsEmpty)
        {
            var newline = span.IndexOf((byte)'\n');
            var line = newline < 0 ? span : span[..newline];
            span = newline < 0 ? default : span[(newline + 1)..];
            if (!line.IsEmpty && line[^1] == '\r')
            {
                line = line[..^1];
            }

            // Bytes, not characters: a long line of multi-byte text the native reader would take goes to it as well.
            if (line.Length > maxLineLength || (!IsBlank(line) && !ParseLine(line, block)))
            {
                block.Failed = true;
                return;
            }
        }
    }

    private static bool ParseLine(ReadOnlySpan<byte> line, Block block)
    {
        block.Records++;
        HashListEntry? entry;
        try
        {
            if (TryParseDirect(line, block))
            {
                block.DirectRows++;
                return true;
            }

            entry = block.Reader.TryRead(line);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Broken JSON, or an escape that is no text (a lone surrogate): the native reader's to report.
            return false;
        }

        if (entry is null)
        {
            return false;
        }

        var type = TypeNumber(entry.SignalType);
        if (type < 0)
        {
            return false;
        }

        block.Ensure(CompiledListLayout.Width(type));
        var row = block.Count;
        var words = (CompiledListLayout.Width(type) + 7) / 8;
        var value = block.Values.AsSpan(block.ValueWords, words);
        if (type == 0)
        {
            PdqHash.Parse(entry.Value).CopyTo(value);
        }
        else
        {
            value.Clear();
            entry.SignalType.EncodeValue(entry.Value, MemoryMarshal.AsBytes(value)[..CompiledListLayout.Width(type)]);
        }

        block.ValueWords += words;
        block.Types[row] = (byte)type;
        block.Ids[row] = entry.Id;
        block.Enabled[row] = entry.Enabled ? (byte)1 : (byte)0;
        var offset = block.Details.WrittenCount;
        block.Offsets[row] = CompiledDetailCodec.TryEncode(entry, block.Body, block.Details) ? offset : CompiledListLayout.NoDetails;
        block.Count++;
        return true;
    }

    /// <summary>
    /// The common line read without an entry: <see cref="NeedleEntryReader.TryRead(ReadOnlySpan{byte}, ImportRow)"/>
    /// fills the block's reused row (a PDQ, MD5, SHA-1 or SHA-256 value of plain hex digits, texts and metadata as
    /// UTF-8), and the details record is the one <see cref="HashList.AddRows"/> writes from a row. False leaves the line
    /// to the entry reader (PhotoDNA, a value to normalize or skip, a repeated metadata key, anything it would refuse),
    /// which writes the same row for a line both take.
    /// </summary>
    private static bool TryParseDirect(ReadOnlySpan<byte> line, Block block)
    {
        var item = block.Row;
        if (!block.Reader.TryRead(line, item))
        {
            return false;
        }

        var type = TypeNumber(item.SignalType);
        if (type < 0)
        {
            return false;
        }

        var width = CompiledListLayout.Width(type);
        block.Ensure(width);
        var words = (width + 7) / 8;
        var value = block.Values.AsSpan(block.ValueWords, words);
        var binary = item.BinaryValue;
        if (type == 0)
        {
            // The row holds the hash big-endian (its hex order); the column holds its words, highest last.
            for (var w = 0; w < PdqHash.WordCount; w++)
            {
                value[PdqHash.WordCount - 1 - w] = BinaryPrimitives.ReadUInt64BigEndian(binary.Slice(w * 8, 8));
            }
        }
        else
        {
            value.Clear();
            binary.CopyTo(MemoryMarshal.AsBytes(value));
        }

        var row = block.Count;
        block.ValueWords += words;
        block.Types[row] = (byte)type;
        block.Ids[row] = item.Id;
        block.Enabled[row] = item.Enabled ? (byte)1 : (byte)0;
        var offset = block.Details.WrittenCount;
        block.Offsets[row] = CompiledDetailCodec.TryEncode(item, block.Body, block.Details) ? offset : CompiledListLayout.NoDetails;
        block.Count++;
        return true;
    }

    private static int TypeNumber(SignalType type)
    {
        for (var t = 0; t < CompiledListLayout.Types.Count; t++)
        {
            if (CompiledListLayout.Types[t] == type)
            {
                return t;
            }
        }

        return -1;
    }

    /// <summary>One span's rows: type number, id (0: the next), enabled, value words back to back, details offsets relative to the span's own details bytes.</summary>
    private sealed class Block(int capacity, int maxDepth)
    {
        public NeedleEntryReader Reader { get; } = new(maxDepth);

        /// <summary>The common line's row, reused line after line.</summary>
        public ImportRow Row { get; } = new();

        public byte[] Types { get; private set; } = new byte[capacity];

        public int[] Ids { get; private set; } = new int[capacity];

        public byte[] Enabled { get; private set; } = new byte[capacity];

        public long[] Offsets { get; private set; } = new long[capacity];

        public ulong[] Values { get; private set; } = new ulong[capacity * PdqHash.WordCount];

        public int ValueWords { get; set; }

        public ArrayBufferWriter<byte> Details { get; } = new(capacity * 64);

        public ArrayBufferWriter<byte> Body { get; } = new(256);

        public int Count { get; set; }

        /// <summary>Lines that are not blank, as the native reader counts records.</summary>
        public int Records { get; set; }

        /// <summary>Rows written straight from their line's bytes (the others went through an entry).</summary>
        public int DirectRows { get; set; }

        public bool Failed { get; set; }

        public void Reset()
        {
            Count = 0;
            ValueWords = 0;
            Records = 0;
            DirectRows = 0;
            Failed = false;
            Details.ResetWrittenCount();
        }

        public void Ensure(int width)
        {
            var words = (width + 7) / 8;
            if (ValueWords + words > Values.Length)
            {
                var values = Values;
                Array.Resize(ref values, Math.Max(values.Length * 2, ValueWords + words));
                Values = values;
            }

            if (Count < Types.Length)
            {
                return;
            }

            var size = Types.Length * 2;
            var types = Types;
            Array.Resize(ref types, size);
            Types = types;
            var ids = Ids;
            Array.Resize(ref ids, size);
            Ids = ids;
            var enabled = Enabled;
            Array.Resize(ref enabled, size);
            Enabled = enabled;
            var offsets = Offsets;
            Array.Resize(ref offsets, size);
            Offsets = offsets;
        }
    }
}
