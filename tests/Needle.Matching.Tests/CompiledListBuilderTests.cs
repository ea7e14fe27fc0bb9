using System.Globalization;
using System.Text;
using Needle.Matching.Compiled;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

/// <summary>
/// The streaming builder writes, byte for byte, the file the writer writes from loaded lists: same columns, index,
/// details and checksums, whatever path (parallel csv spans, a format's reader, a loaded list) the entries came by.
/// </summary>
public sealed class CompiledListBuilderTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-ndlb-" + Guid.NewGuid().ToString("N"));

    public CompiledListBuilderTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Loaded_lists_of_every_compiled_type_give_the_writers_file()
    {
        var random = new Random(3);
        var first = new HashList("first") { PdqThreshold = 20 };
        var second = new HashList("second", HashListKind.Allow);
        for (var i = 0; i < 20_000; i++)
        {
            var list = i % 3 == 0 ? second : first;
            var label = i % 5 == 0 ? null : "item-" + i.ToString(CultureInfo.InvariantCulture);
            var entry = list.Add(new HashListEntry(SignalTypes.Pdq, RandomHex(random, 32)) { Label = label, Source = "feed", Category = i % 7 == 0 ? "A1" : null });
            if (i % 50 == 1)
            {
                list.Disable(entry.Id);
            }

            list.Add(new HashListEntry(SignalTypes.Md5, RandomHex(random, 16)) { Label = label, Metadata = new Dictionary<string, string> { ["k"] = "é" } });
            if (i % 10 == 0)
            {
                list.Add(new HashListEntry(SignalTypes.Sha1, RandomHex(random, 20)));
                list.Add(new HashListEntry(SignalTypes.Sha256, RandomHex(random, 32)) { Label = label });
                var vector = new byte[144];
                random.NextBytes(vector);
                list.Add(new HashListEntry(SignalTypes.PhotoDna, Convert.ToBase64String(vector)));
            }

            // Equal values within and across lists keep list order in the sorted exact columns.
            if (i % 13 == 0)
            {
                second.Add(new HashListEntry(SignalTypes.Md5, new string('a', 32)) { Label = "dup-" + i.ToString(CultureInfo.InvariantCulture) });
            }
        }

        var expected = Path.Combine(_directory, "writer.ndl");
        CompiledListWriter.Write(expected, [first, second]);
        var actual = Path.Combine(_directory, "builder.ndl");
        using (var builder = new CompiledListBuilder(_directory))
        {
            Assert.True(builder.TryAddList(first));
            Assert.True(builder.TryAddList(second));
            builder.Write(actual);
        }

        AssertSameFile(expected, actual, [first, second]);
    }

    [Theory]
    [InlineData("plain", 60_000, CsvSpanReader.SpanBytes)]
    [InlineData("odd", 60_000, CsvSpanReader.SpanBytes)]
    [InlineData("plain", 260_000, CsvSpanReader.SpanBytes)] // over 16 MiB: several spans parsed in parallel, their rows and details joined in order
    [InlineData("plain", 60_000, 64 << 10)] // many groups of spans: one group is appended while the next is parsed
    [InlineData("odd", 60_000, 64 << 10)] // a line the span reader refuses in a later group, while the next one is parsed
    public void A_csv_list_gives_the_file_of_the_list_the_csv_reader_loads(string shape, int lines, int spanBytes)
    {
        var random = new Random(9);
        var text = new StringBuilder();
        text.Append(shape == "plain" ? "hash,quality,path\n" : "\n# a comment\n  HASH , quality , path\r\n");
        for (var i = 0; i < lines; i++)
        {
            var hash = RandomHex(random, 32);
            var quality = i % 9 == 0 ? string.Empty : (i % 101).ToString(CultureInfo.InvariantCulture);
            var path = i % 11 == 0 ? string.Empty : $"photos/ü {i},x.jpg";
            text.Append(i % 17 == 0 ? hash.ToUpperInvariant() : hash).Append(',').Append(quality);
            if (path.Length > 0 || i % 2 == 0)
            {
                text.Append(',').Append(path);
            }

            text.Append(i % 3 == 0 ? "\r\n" : "\n");
            if (i % 1000 == 0)
            {
                text.Append("# comment ").Append(i).Append("\n\n");
            }

            // Lines only the csv reader takes: a quoted path, spaces around the hash, an all-zero hash (skipped).
            if (shape == "odd" && i == 30_000)
            {
                text.Append(RandomHex(random, 32)).Append(",50,\"quoted, \"\"path\"\"\"\n");
                text.Append(" \t").Append(RandomHex(random, 32)).Append(" ,007 , spaced \n");
                text.Append(new string('0', 64)).Append(",0,tiny.png\n");
            }
        }

        if (shape == "odd")
        {
            text.Append(RandomHex(random, 32)).Append(",1,last line without an end");
        }

        var csv = Path.Combine(_directory, "big list.csv");
        File.WriteAllText(csv, text.ToString());
        var options = new ImportOptions { FileName = "lists/big list.csv" };
        var loaded = HashListFormats.Default.ReadFile(csv, options, "csv");
        var expected = Path.Combine(_directory, "writer.ndl");
        CompiledListWriter.Write(expected, [loaded.List]);

        // Plain lines take the parallel span reader; the odd ones send the file to the csv reader.
        using (var probe = new CompiledListBuilder(_directory))
        {
            Assert.Equal(shape == "plain", CsvSpanReader.TryRead(csv, "big list.csv", options.MaxLineLength, probe, 0, spanBytes) is not null);
        }

        var actual = Path.Combine(_directory, "builder.ndl");
        using (var builder = new CompiledListBuilder(_directory) { CsvSpanBytes = spanBytes })
        {
            var result = builder.TryAddFile(csv, options, "csv");
            Assert.NotNull(result);
            Assert.Equal("big list", result.List.Name);
            Assert.Equal(loaded.WarningCount, result.WarningCount);
            Assert.Equal(loaded.List.Count, builder.EntryCount);
            builder.Write(actual);
        }

        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(actual));
    }

    [Fact]
    public void A_native_list_streams_through_its_reader_into_the_same_file()
    {
        var random = new Random(4);
        var list = new HashList("native") { PdqThreshold = 25 };
        for (var i = 0; i < 5_000; i++)
        {
            list.Add(new HashListEntry(SignalTypes.Pdq, RandomHex(random, 32)) { Label = "p" + i.ToString(CultureInfo.InvariantCulture), Category = "A1", Metadata = new Dictionary<string, string> { ["case"] = "c" + i.ToString(CultureInfo.InvariantCulture) } });
            list.Add(new HashListEntry(SignalTypes.Md5, RandomHex(random, 16)) { Label = "m" + i.ToString(CultureInfo.InvariantCulture) });
        }

        list.Disable(7);
        var native = Path.Combine(_directory, "native.ndjson");
        HashListFormats.Default.WriteFile(list, native, "needle");
        var loaded = HashListFormats.Default.ReadFile(native);
        var expected = Path.Combine(_directory, "writer.ndl");
        CompiledListWriter.Write(expected, [loaded.List]);

        var actual = Path.Combine(_directory, "builder.ndl");
        using (var builder = new CompiledListBuilder(_directory))
        {
            Assert.NotNull(builder.TryAddFile(native, new ImportOptions()));
            builder.Write(actual);
        }

        AssertSameFile(expected, actual, [loaded.List]);
    }

    [Fact]
    public void A_malformed_csv_line_is_refused_naming_the_file_and_the_line()
    {
        var random = new Random(5);
        var lines = Enumerable.Range(0, 1000).Select(i => RandomHex(random, 32) + ",90,p" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        lines[700] = "abc,90,broken";
        var csv = Path.Combine(_directory, "broken.csv");
        File.WriteAllLines(csv, lines);

        using var builder = new CompiledListBuilder(_directory);
        var error = Assert.Throws<HashListFormatException>(() => builder.TryAddFile(csv, new ImportOptions()));
        Assert.Contains("broken.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("701", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, builder.EntryCount);
        Assert.Equal(0, builder.ListCount);
    }

    [Fact]
    public void A_list_with_video_entries_is_not_compiled_and_nothing_of_it_is_kept()
    {
        var random = new Random(6);
        var list = new HashList("videos");
        list.Add(new HashListEntry(SignalTypes.Pdq, RandomHex(random, 32)));
        list.Add(new HashListEntry(SignalTypes.Vpdq, "0,100," + RandomHex(random, 32) + ",0.000"));
        var native = Path.Combine(_directory, "videos.ndjson");
        HashListFormats.Default.WriteFile(list, native, "needle");

        using var builder = new CompiledListBuilder(_directory);
        Assert.Null(builder.TryAddFile(native, new ImportOptions()));
        Assert.False(builder.TryAddList(list));
        Assert.Equal(0, builder.EntryCount);
        Assert.Equal(0, builder.ListCount);
    }

    /// <summary>
    /// The same sections byte for byte, except where details records lie (the builder writes them as entries arrive,
    /// the writer type by type), and the same matches, details included, for every entry's value.
    /// </summary>
    private static void AssertSameFile(string expected, string actual, IReadOnlyList<HashList> lists)
    {
        var left = Sections(expected);
        var right = Sections(actual);
        Assert.Equal(left.Keys.Order(StringComparer.Ordinal), right.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, bytes) in left)
        {
            if (!name.StartsWith("details", StringComparison.Ordinal) && !name.EndsWith(".details", StringComparison.Ordinal))
            {
                Assert.True(bytes.AsSpan().SequenceEqual(right[name]), $"section {name} differs");
            }
        }

        using var fileA = CompiledListFile.Open(expected);
        using var fileB = CompiledListFile.Open(actual);
        fileA.VerifyAll();
        fileB.VerifyAll();
        using var matcherA = new ListMatcher([], [fileA], static () => new Needle.Matching.Index.MultiIndexHammingIndex());
        using var matcherB = new ListMatcher([], [fileB], static () => new Needle.Matching.Index.MultiIndexHammingIndex());
        var checkedEntries = 0;
        foreach (var list in lists)
        {
            foreach (var entry in list.Entries)
            {
                var query = entry.SignalType.Name switch
                {
                    "pdq" => new FileSignals { Pdq = PdqHashOf(entry.Value) },
                    "md5" => new FileSignals { Md5 = entry.Value },
                    "sha1" => new FileSignals { Sha1 = entry.Value },
                    "sha256" => new FileSignals { Sha256 = entry.Value },
                    _ => new FileSignals { PhotoDna = Convert.FromBase64String(entry.Value) },
                };
                Assert.Equal(Describe(matcherA.Match(query).Matches), Describe(matcherB.Match(query).Matches));
                checkedEntries++;
            }
        }

        Assert.True(checkedEntries > 0);
    }

    private static Needle.Hashing.PdqHash PdqHashOf(string hex) => Needle.Hashing.PdqHash.Parse(hex);

    private static Dictionary<string, byte[]> Sections(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var count = BitConverter.ToInt32(bytes, 12);
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var row = 32 + (48 * i);
            var name = Encoding.ASCII.GetString(bytes, row, 16).TrimEnd('\0');
            sections[name] = bytes.AsSpan((int)BitConverter.ToInt64(bytes, row + 16), (int)BitConverter.ToInt64(bytes, row + 24)).ToArray();
        }

        return sections;
    }

    private static List<string> Describe(IReadOnlyList<ListMatch> matches) =>
        [.. matches
            .Select(m => string.Join(
                "|",
                m.ListName, m.ListKind, m.SignalType.Name, m.MatchedValue, m.Distance.ToString("R", CultureInfo.InvariantCulture), m.Transform,
                m.Entry.Id, m.Entry.Value, m.Entry.Enabled, m.Entry.Label, m.Entry.Category, m.Entry.Source,
                string.Join(";", m.Entry.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))))
            .Order(StringComparer.Ordinal)];

    private static string RandomHex(Random random, int bytes)
    {
        var buffer = new byte[bytes];
        random.NextBytes(buffer);
        buffer[0] |= 1;
        return Convert.ToHexStringLower(buffer);
    }
}
