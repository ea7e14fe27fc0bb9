using System.Buffers;
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

    private const int IdField = 1, SignalField = 2, ValueField = 4, LabelField = 8, CategoryField = 16, SourceField = 32, EnabledField = 64, MetadataField = 128;

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
    private static long HeaderEnd(byte* all, long length) =>
        MappedSpanPipeline.TryFirstLine(all, length, IsBlank, out _, out var next) ? next : 0;

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
            var line = MappedSpanPipeline.NextLine(ref span, trimUnterminatedCr: true);

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
    /// The common line read without an entry: a PDQ, MD5, SHA-1 or SHA-256 value of plain hex digits, the value's
    /// bytes and the details record written straight from the line's bytes. False leaves the line to the entry reader
    /// (PhotoDNA, a value to normalize or skip, a repeated metadata key, anything the entry reader would refuse). It
    /// takes what the entry reader takes, field by field, so the two write the same row.
    /// </summary>
    private static bool TryParseDirect(ReadOnlySpan<byte> line, Block block)
    {
        var reader = new Utf8JsonReader(line, block.JsonOptions);
        if (block.Scratch.Length < line.Length)
        {
            block.Scratch = new byte[line.Length * 2];
        }

        var scratch = block.Scratch.AsSpan();
        var used = 0;
        Span<int> ranges = stackalloc int[6];
        ranges.Fill(-1);
        var pairs = block.Pairs;
        var pairCount = 0;
        var seen = 0;
        var id = 0;
        var type = -1;
        var enabled = true;
        var valueStart = -1;
        var valueLength = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field == 0 || (seen & field) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= field;
            switch (field)
            {
                case IdField:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out id) || id <= 0)
                    {
                        return false;
                    }

                    break;
                case SignalField:
                    type = reader.TokenType == JsonTokenType.String ? HexTypeOf(ref reader) : -1;
                    if (type < 0)
                    {
                        return false;
                    }

                    break;
                case ValueField:
                    if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !line.Overlaps(reader.ValueSpan, out valueStart))
                    {
                        return false;
                    }

                    valueLength = reader.ValueSpan.Length;
                    break;
                case LabelField:
                case CategoryField:
                case SourceField:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        var slot = field == LabelField ? 0 : field == CategoryField ? 2 : 4;
                        ranges[slot] = used;
                        ranges[slot + 1] = Copy(ref reader, scratch, ref used);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return false;
                    }

                    break;
                case EnabledField:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return false;
                    }

                    enabled = reader.TokenType == JsonTokenType.True;
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return false;
                    }

                    // Pairs in their order; a repeated key (the entry keeps the last value in the first key's place) is left to the entry reader.
                    pairCount = 0;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if ((pairCount + 1) * 4 > pairs.Length)
                        {
                            Array.Resize(ref pairs, pairs.Length * 2);
                            block.Pairs = pairs;
                        }

                        var keyStart = used;
                        var keyLength = Copy(ref reader, scratch, ref used);
                        for (var p = 0; p < pairCount; p++)
                        {
                            if (scratch.Slice(pairs[p * 4], pairs[(p * 4) + 1]).SequenceEqual(scratch.Slice(keyStart, keyLength)))
                            {
                                return false;
                            }
                        }

                        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        {
                            return false;
                        }

                        pairs[pairCount * 4] = keyStart;
                        pairs[(pairCount * 4) + 1] = keyLength;
                        pairs[(pairCount * 4) + 2] = used;
                        pairs[(pairCount * 4) + 3] = Copy(ref reader, scratch, ref used);
                        pairCount++;
                    }

                    if (reader.TokenType != JsonTokenType.EndObject)
                    {
                        return false;
                    }

                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || type < 0 || (seen & ValueField) == 0)
        {
            return false;
        }

        // The value as its type would normalize it: plain hex digits of the type's length (either case); an all-zero PDQ is skipped with a warning there.
        var hex = line.Slice(valueStart, valueLength);
        var width = CompiledListLayout.Width(type);
        if (hex.Length != width * 2)
        {
            return false;
        }

        block.Ensure(width);
        var words = (width + 7) / 8;
        var value = block.Values.AsSpan(block.ValueWords, words);
        if (type == 0)
        {
            if (!MappedSpanPipeline.TryParsePdq(hex, value))
            {
                return false;
            }
        }
        else
        {
            value.Clear();
            var bytes = MemoryMarshal.AsBytes(value);
            for (var i = 0; i < width; i++)
            {
                var high = MappedSpanPipeline.HexDigit(hex[2 * i]);
                var low = MappedSpanPipeline.HexDigit(hex[(2 * i) + 1]);
                if ((high | low) < 0)
                {
                    return false;
                }

                bytes[i] = (byte)((high << 4) | low);
            }
        }

        var row = block.Count;
        block.ValueWords += words;
        block.Types[row] = (byte)type;
        block.Ids[row] = id;
        block.Enabled[row] = enabled ? (byte)1 : (byte)0;
        block.Offsets[row] = WriteDetails(scratch, ranges, pairs.AsSpan(0, pairCount * 4), block.Details);
        block.Count++;
        return true;
    }

    /// <summary>The record <see cref="CompiledDetailCodec"/> writes for an entry of these fields (length prefix, flags, strings, metadata), or no details.</summary>
    private static long WriteDetails(ReadOnlySpan<byte> scratch, ReadOnlySpan<int> ranges, ReadOnlySpan<int> pairs, ArrayBufferWriter<byte> output)
    {
        byte flags = 0;
        var body = 1;
        for (var f = 0; f < 3; f++)
        {
            if (ranges[f * 2] >= 0)
            {
                flags |= (byte)(1 << f);
                body += MappedSpanPipeline.NumberLength(ranges[(f * 2) + 1]) + ranges[(f * 2) + 1];
            }
        }

        if (!pairs.IsEmpty)
        {
            flags |= 16;
            body += MappedSpanPipeline.NumberLength(pairs.Length / 4);
            for (var p = 1; p < pairs.Length; p += 2)
            {
                body += MappedSpanPipeline.NumberLength(pairs[p]) + pairs[p];
            }
        }

        if (flags == 0)
        {
            return CompiledListLayout.NoDetails;
        }

        long offset = output.WrittenCount;
        EntryDetailCodec.WriteNumber(body, output);
        output.GetSpan(1)[0] = flags;
        output.Advance(1);
        for (var f = 0; f < 3; f++)
        {
            if (ranges[f * 2] >= 0)
            {
                WriteText(scratch.Slice(ranges[f * 2], ranges[(f * 2) + 1]), output);
            }
        }

        if (!pairs.IsEmpty)
        {
            EntryDetailCodec.WriteNumber(pairs.Length / 4, output);
            for (var p = 0; p < pairs.Length; p += 2)
            {
                WriteText(scratch.Slice(pairs[p], pairs[p + 1]), output);
            }
        }

        return offset;
    }

    private static void WriteText(ReadOnlySpan<byte> text, ArrayBufferWriter<byte> output)
    {
        EntryDetailCodec.WriteNumber(text.Length, output);
        output.Write(text);
    }

    /// <summary>The current string (or property name) unescaped into <paramref name="scratch"/> at <paramref name="used"/>; its length.</summary>
    private static int Copy(ref Utf8JsonReader reader, Span<byte> scratch, ref int used)
    {
        int length;
        if (reader.ValueIsEscaped)
        {
            // Unescaped text is never longer than its escaped form, and the scratch holds the line twice over.
            length = reader.CopyString(scratch[used..]);
        }
        else
        {
            reader.ValueSpan.CopyTo(scratch[used..]);
            length = reader.ValueSpan.Length;
        }

        used += length;
        return length;
    }

    private static int FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? IdField
        : reader.ValueTextEquals("signalType"u8) ? SignalField
        : reader.ValueTextEquals("value"u8) ? ValueField
        : reader.ValueTextEquals("label"u8) ? LabelField
        : reader.ValueTextEquals("category"u8) ? CategoryField
        : reader.ValueTextEquals("source"u8) ? SourceField
        : reader.ValueTextEquals("enabled"u8) ? EnabledField
        : reader.ValueTextEquals("metadata"u8) ? MetadataField
        : 0;

    /// <summary>The type number of a hex-valued compiled type named by the current string (PhotoDNA and the rest: -1).</summary>
    private static int HexTypeOf(ref Utf8JsonReader reader)
    {
        for (var t = 0; t < 4; t++)
        {
            if (reader.ValueTextEquals(CompiledListLayout.Types[t].Name))
            {
                return t;
            }
        }

        return -1;
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

        public JsonReaderOptions JsonOptions { get; } = new() { MaxDepth = maxDepth };

        /// <summary>One line's strings, unescaped.</summary>
        public byte[] Scratch { get; set; } = new byte[4096];

        /// <summary>One line's metadata pairs: key start, key length, value start, value length.</summary>
        public int[] Pairs { get; set; } = new int[64];

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
