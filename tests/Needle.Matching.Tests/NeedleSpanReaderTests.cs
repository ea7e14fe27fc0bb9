using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Matching.Compiled;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

/// <summary>
/// A native list read in parallel from spans of the mapped file compiles, byte for byte, to the file its ordinary
/// reader's entries build; a line the span reader does not take sends the whole file to the ordinary reader, which
/// reads it (or names the line at fault) as it always does.
/// </summary>
public sealed class NeedleSpanReaderTests : IDisposable
{
    private const string Header = "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"mixed\",\"kind\":\"allow\",\"thresholds\":{\"pdq\":27,\"photodna\":1500}}";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-nsr-" + Guid.NewGuid().ToString("N"));

    public NeedleSpanReaderTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(512)]
    [InlineData(4096)]
    [InlineData(NeedleSpanReader.SpanBytes)]
    public void A_mixed_native_list_read_in_spans_compiles_to_the_ordinary_readers_file(int spanBytes)
    {
        var path = Write("mixed.jsonl", MixedLines(3_000, new Random(11)), "\r\n");
        var (expected, general) = Compile(path, spanReaders: false, spanBytes, out _);
        var (actual, fast) = Compile(path, spanReaders: true, spanBytes, out var parallel, out var directRows);

        Assert.True(parallel);

        // Most rows are written from their bytes; PhotoDNA, values to trim and repeated metadata keys go through an entry.
        Assert.InRange(directRows, 2_000, 2_900);
        Assert.NotNull(general);
        Assert.NotNull(fast);
        Assert.Equal("needle", fast.FormatName);
        Assert.Equal(general.RecordsRead, fast.RecordsRead);
        Assert.Equal(general.List.Name, fast.List.Name);
        Assert.Equal(HashListKind.Allow, fast.List.Kind);
        Assert.Equal(27, fast.List.GetThreshold(SignalTypes.Pdq));
        Assert.Equal(general.List.GetThreshold(SignalTypes.PhotoDna), fast.List.GetThreshold(SignalTypes.PhotoDna));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("bad value")]
    [InlineData("unknown type")]
    [InlineData("invalid UTF-8")]
    [InlineData("NUL")]
    public void A_bad_line_in_a_later_span_is_reported_by_the_ordinary_reader_with_its_line(string fault)
    {
        var lines = MixedLines(2_000, new Random(12));
        const int Index = 1_700;
        var bytes = Encoding.UTF8.GetBytes(Header + "\n" + string.Join("\n", lines.Take(Index)) + "\n");
        var bad = fault switch
        {
            "bad value" => Encoding.UTF8.GetBytes("{\"id\":90001,\"signalType\":\"md5\",\"value\":\"not-hex\",\"label\":\"x\"}"),
            "unknown type" => Encoding.UTF8.GetBytes("{\"id\":90001,\"signalType\":\"nosuchtype\",\"value\":\"abc\"}"),
            "invalid UTF-8" => [.. "{\"id\":90001,\"signalType\":\"md5\",\"value\":\"0123456789abcdef0123456789abcdef\",\"label\":\""u8, 0xC3, 0x28, .. "\"}"u8],
            _ => [.. "{\"id\":90001,\"signalType\":\"md5\",\"value\":\"0123456789abcdef0123456789abcdef\",\"label\":\"a"u8, 0, .. "\"}"u8],
        };
        var path = Path.Combine(_directory, "broken.jsonl");
        File.WriteAllBytes(path, [.. bytes, .. bad, .. "\n"u8, .. Encoding.UTF8.GetBytes(string.Join("\n", lines.Skip(Index)) + "\n")]);

        var general = Assert.Throws<HashListFormatException>(() => Compile(path, spanReaders: false, 1024, out _));
        var fast = Assert.Throws<HashListFormatException>(() => Compile(path, spanReaders: true, 1024, out _));
        Assert.Equal(general.Message, fast.Message);
        Assert.Contains("broken.jsonl", fast.Message, StringComparison.Ordinal);

        // Line 1 is the header: the bad line is line Index + 2 (invalid UTF-8 is placed by the decoder's buffer, not by line).
        Assert.Contains(fault == "invalid UTF-8" ? "invalid UTF-8" : (Index + 2).ToString(CultureInfo.InvariantCulture), fast.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_read_leniently_in_a_later_span_compiles_as_the_ordinary_reader_reads_it()
    {
        var lines = MixedLines(2_000, new Random(13));

        // An unknown field and a string id: the span reader leaves both to the ordinary reader, which takes them.
        lines[1_500] = lines[1_500].Replace("{\"id\":", "{\"note\":\"checked\",\"id\":", StringComparison.Ordinal);
        lines[1_600] = "{\"signalType\":\"md5\",\"value\":\"AABBCCDDEEFF00112233445566778899\",\"enabled\":\"no\",\"metadata\":{\"n\":7}}";
        var path = Write("lenient.jsonl", lines, "\n");
        var (expected, general) = Compile(path, spanReaders: false, 1024, out _);
        var (actual, fast) = Compile(path, spanReaders: true, 1024, out var parallel);

        Assert.False(parallel);
        Assert.Equal(general!.RecordsRead, fast!.RecordsRead);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("repeated id")]
    [InlineData("video")]
    public void A_list_that_cannot_be_compiled_is_left_whole_to_the_caller(string fault)
    {
        var lines = MixedLines(2_000, new Random(14));
        lines[1_800] = fault == "repeated id"
            ? "{\"id\":5,\"signalType\":\"md5\",\"value\":\"aabbccddeeff00112233445566778899\"}"
            : "{\"signalType\":\"vpdq\",\"value\":\"0,100," + new string('a', 64) + ",0.000\"}";
        var path = Write("uncompilable.jsonl", lines, "\n");

        using var builder = new CompiledListBuilder(_directory) { NeedleSpanBytes = 1024 };
        Assert.Null(builder.TryAddFile(path, new ImportOptions()));
        Assert.Equal(0, builder.EntryCount);
        Assert.Equal(0, builder.ListCount);

        // The builder goes on with the next list as if that one had never been offered.
        var good = Write("good.jsonl", MixedLines(500, new Random(15)), "\n");
        Assert.NotNull(builder.TryAddFile(good, new ImportOptions { FileName = good, ListName = "given name" }));
        Assert.True(builder.LastReadInParallel);
        var actual = Path.Combine(_directory, "after.ndl");
        builder.Write(actual);
        var (expected, _) = Compile(good, spanReaders: false, 1024, out _);
        Assert.Equal(expected, File.ReadAllBytes(actual));
    }

    [Fact]
    public void A_header_only_list_and_a_list_in_many_lists_compile_as_the_ordinary_reader_does()
    {
        var empty = Write("empty.jsonl", [], "\n");
        var first = Write("first.jsonl", MixedLines(700, new Random(16)), "\n");
        var second = Write("second.jsonl", MixedLines(900, new Random(17)), "\n");
        byte[] Build(bool spanReaders)
        {
            var output = Path.Combine(_directory, spanReaders ? "fast.ndl" : "general.ndl");
            using (var builder = new CompiledListBuilder(_directory) { SpanReaders = spanReaders, NeedleSpanBytes = 2048 })
            {
                foreach (var path in new[] { first, empty, second })
                {
                    Assert.NotNull(builder.TryAddFile(path, new ImportOptions { FileName = path }));
                }

                builder.Write(output);
            }

            return File.ReadAllBytes(output);
        }

        Assert.Equal(Build(spanReaders: false), Build(spanReaders: true));
    }

    private (byte[] File, ImportResult? Result) Compile(string path, bool spanReaders, int spanBytes, out bool parallel) =>
        Compile(path, spanReaders, spanBytes, out parallel, out _);

    private (byte[] File, ImportResult? Result) Compile(string path, bool spanReaders, int spanBytes, out bool parallel, out long directRows)
    {
        var output = Path.Combine(_directory, (spanReaders ? "fast-" : "general-") + Guid.NewGuid().ToString("N") + ".ndl");
        using var builder = new CompiledListBuilder(_directory) { SpanReaders = spanReaders, NeedleSpanBytes = spanBytes };
        var result = builder.TryAddFile(path, new ImportOptions { FileName = path, ListName = "given name" });
        parallel = builder.LastReadInParallel;
        directRows = builder.LastDirectRows;
        builder.Write(output);
        var bytes = File.ReadAllBytes(output);
        File.Delete(output);
        return (bytes, result);
    }

    private string Write(string name, IEnumerable<string> lines, string newline)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, Header + newline + string.Join(newline, lines) + newline, new UTF8Encoding(false));
        return path;
    }

    /// <summary>
    /// Entry lines as Needle writes them and as people edit them: every compiled type, ids given, skipped or left
    /// out, disabled entries, null and missing fields, raw and escaped non-ASCII, quotes and backslashes, metadata,
    /// upper-case hex (normalized), blank lines.
    /// </summary>
    private static List<string> MixedLines(int count, Random random)
    {
        string[] labels = ["café ✓ 日本 🙂", "quote \" and \\ back", "tab\there\nnewline", "plain", ""];
        var lines = new List<string>();
        var id = 1;
        for (var i = 0; i < count; i++)
        {
            var text = new StringBuilder("{");
            // An entry without an id takes the next one: the ids given after it skip past it.
            id += i % 17 == 0 ? 3 : 1;
            if (i % 9 != 4)
            {
                text.Append("\"id\":").Append(id.ToString(CultureInfo.InvariantCulture)).Append(',');
            }

            var (type, value) = (i % 11) switch
            {
                0 or 1 or 2 or 3 => ("pdq", RandomHex(random, 32)),
                4 or 5 => ("md5", i % 2 == 0 ? RandomHex(random, 16).ToUpperInvariant() : RandomHex(random, 16)),
                6 => ("sha1", RandomHex(random, 20)),
                7 or 8 => ("sha256", RandomHex(random, 32)),
                9 => ("photodna", Convert.ToBase64String(RandomBytes(random, 144))),
                _ => ("md5", new string('a', 32)),
            };
            if (i % 41 == 7)
            {
                // Spaces around the value: the type's normalization trims them.
                value = " " + value + " ";
            }

            text.Append("\"signalType\":\"").Append(type).Append("\",\"value\":\"").Append(value).Append('"');
            var label = labels[i % labels.Length] + " " + i.ToString(CultureInfo.InvariantCulture);
            switch (i % 4)
            {
                case 0:
                    text.Append(",\"label\":").Append(JsonSerializer.Serialize(label));
                    break;
                case 1:
                    text.Append(",\"label\":\"").Append(label.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
                    break;
                case 2:
                    text.Append(",\"label\":null");
                    break;
            }

            if (i % 3 == 0)
            {
                text.Append(",\"category\":\"").Append(i % 6 == 0 ? "A1" : "B2").Append('"');
            }

            if (i % 5 != 2)
            {
                text.Append(",\"source\":\"").Append(i % 2 == 0 ? "feed one" : "ünïcode feed").Append('"');
            }

            if (i % 7 != 3)
            {
                text.Append(",\"enabled\":").Append(i % 13 == 5 ? "false" : "true");
            }

            if (i % 2 == 0)
            {
                text.Append(",\"metadata\":{\"case\":\"c").Append((i % 50).ToString(CultureInfo.InvariantCulture)).Append("\",\"ref\":")
                    .Append(JsonSerializer.Serialize("r-é-" + i.ToString(CultureInfo.InvariantCulture))).Append('}');
            }
            else if (i % 10 == 1)
            {
                text.Append(",\"metadata\":{}");
            }
            else if (i % 10 == 3)
            {
                // A repeated key: the entry keeps the last value in the first key's place.
                text.Append(",\"metadata\":{\"k\":\"first\",\"other\":\"\",\"k\":\"last\"}");
            }

            lines.Add(text.Append('}').ToString());
            if (i % 100 == 50)
            {
                lines.Add(i % 200 == 50 ? string.Empty : "   ");
            }
        }

        return lines;
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomHex(Random random, int bytes)
    {
        var buffer = RandomBytes(random, bytes);
        buffer[0] |= 1;
        return Convert.ToHexStringLower(buffer);
    }
}
