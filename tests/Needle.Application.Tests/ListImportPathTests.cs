using System.Globalization;
using System.Text;
using Needle.Application.Lists;
using Needle.Core.Lists;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// The two ways an import's line is read: the usual native and CSV lines go straight from their bytes into the store,
/// the stage and the list's columns (<see cref="ImportRow"/>); every other line through the general reader and an
/// entry object. The same entries written both ways (the general way forced by a field the fast reader does not take,
/// or by a quoted CSV path) must give the same rows, the same stored entries, the same matches and metadata.
/// </summary>
public abstract class ListImportPathTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private const string Header = "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"mix\",\"kind\":\"known\"}";

    private static readonly Lazy<FileSignals> Photo = new(() => TestLists.SignalsOf("photos/p08_video_frame.png"));

    /// <summary>A mix of entry lines: every signal type, unicode and escapes, missing and null fields, disabled entries, a repeated metadata key, a padded value, the all-zero PDQ.</summary>
    private static List<string> EntryLines()
    {
        var rng = new Random(3);
        string Hex(int bytes)
        {
            var b = new byte[bytes];
            rng.NextBytes(b);
            return Convert.ToHexStringLower(b);
        }

        var photoPdq = Photo.Value.Pdq!.Value.ToString();
        var photoMd5 = Photo.Value.Md5!;
        var pdna = new byte[144];
        rng.NextBytes(pdna);
        var robust = new RobustFeatures(40, 30, [0.6f, 0.8f], [1f, 2f, 3f, 4f], new byte[2 * RobustFeatures.KeypointDescriptorBytes]).Encode();
        var lines = new List<string>
        {
            $$$"""{"id":1,"signalType":"md5","value":"{{{photoMd5.ToUpperInvariant()}}}","label":"Ünïcødé 💡 \"q\"","category":"A\u00e9","source":"s.csv","enabled":true,"metadata":{"case":"C-1","note":"tab\there \\ \/ \u00e9 💡 <b>&'","clé":"v"}}""",
            $$$"""{"signalType":"sha1","value":"{{{Hex(20)}}}"}""",
            $$$"""{"id":3,"signalType":"sha256","value":"{{{Hex(32)}}}","label":null,"category":"","source":"","enabled":false,"metadata":{}}""",
            $$$"""{"signalType":"pdq","value":"{{{photoPdq}}}","label":"photo \ud83d\udca1","metadata":{"k":"1","k":"2","z":""}}""",
            $$$"""{"signalType":"pdq","value":"{{{photoPdq.ToUpperInvariant()}}}","label":"disabled copy","enabled":false}""",
            $$$"""{"signalType":"photodna","value":"{{{Convert.ToBase64String(pdna)}}}","label":"pdna"}""",
            $$$"""{"signalType":"vpdq","value":"0,100,{{{photoPdq}}},0.000;1,90,{{{Hex(32)}}},1.000","label":"video","metadata":{"frames":"2"}}""",
            $$$"""{"signalType":"robust","value":"{{{robust}}}","category":"r"}""",
            $$$"""{"signalType":"pdq","value":"{{{new string('0', 64)}}}","label":"never matches"}""",
            $$$"""{"signalType":"md5","value":" {{{Hex(16)}}} ","label":"padded"}""",
            $$$"""{"enabled":false,"metadata":{"a":"1"},"value":"{{{Hex(16)}}}","signalType":"md5","id":12}""",

            // Texts longer than the stage's first buffers (a robust value from a real picture is tens of kilobytes).
            $$$"""{"signalType":"sha1","value":"{{{Hex(20)}}}","label":"{{{new string('L', 1000)}}}","metadata":{"{{{new string('k', 300)}}}":"{{{new string('v', 5000)}}}"}}""",
            $$$"""{"signalType":"sha1","value":"{{{Hex(20)}}}","label":"short after long","metadata":{"a":"1"}}""",
        };
        for (var i = 0; i < 40; i++)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $$$"""{"signalType":"{{{(i % 2 == 0 ? "pdq" : "sha256")}}}","value":"{{{Hex(32)}}}","label":"gen-{{{i}}}","category":"C{{{i % 3}}}","source":"programme","enabled":{{{(i % 5 != 0 ? "true" : "false")}}},"metadata":{"n":"{{{i}}}","m":"été"}}"""));
        }

        return lines;
    }

    /// <summary>The same entries, each with a field the fast reader leaves to the general one (which ignores it).</summary>
    private static string General(string line) => line[..^1] + ",\"x-general\":1}";

    private static string Show(HashListEntry e, bool sortMetadata = false) =>
        string.Join(
            "|",
            e.Id.ToString(CultureInfo.InvariantCulture),
            e.SignalType.Name,
            e.Value,
            e.Label ?? "<null>",
            e.Category ?? "<null>",
            e.Source ?? "<null>",
            e.Enabled ? "on" : "off",
            string.Join(",", (sortMetadata ? e.Metadata.OrderBy(static p => p.Key, StringComparer.Ordinal) : e.Metadata.AsEnumerable()).Select(static p => p.Key + "=" + p.Value)));

    private static string Native(IEnumerable<string> lines) => Header + "\n" + string.Join("\n", lines) + "\n";

    /// <summary>What a reader hands the row sink (as entries), and the result.</summary>
    private static (List<string> Rows, ImportResult Result) ReadRows(string text, string format)
    {
        var rows = new List<string>();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var result = HashListFormats.Default.Read(stream, new ImportOptions { FileName = "mix." + format, RowSink = row => rows.Add(Show(row.ToEntry())) }, format);
        return (rows, result);
    }

    [Fact]
    public void Native_lines_read_as_bytes_give_the_rows_and_entries_of_the_general_reader()
    {
        var lines = EntryLines();
        var (fast, fastResult) = ReadRows(Native(lines), "needle");
        var (general, generalResult) = ReadRows(Native(lines.Select(General)), "needle");
        Assert.Equal(general, fast);
        Assert.Equal(lines.Count - 1, fast.Count);
        Assert.Equal((generalResult.RecordsRead, generalResult.WarningCount, 1), (fastResult.RecordsRead, fastResult.WarningCount, fastResult.WarningCount));

        // And the entries a plain read keeps (no sink) are the same ones.
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Native(lines)));
        var plain = HashListFormats.Default.Read(stream, new ImportOptions { FileName = "mix.needle" }, "needle").List.Entries;
        Assert.Equal(fast.Select(static r => r[(r.IndexOf('|', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal), plain.Select(static e => Show(e)[(Show(e).IndexOf('|', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Csv_lines_read_as_bytes_give_the_rows_of_the_general_reader()
    {
        var rng = new Random(4);
        var fastLines = new StringBuilder("hash,quality,path\n");
        var generalLines = new StringBuilder("hash,quality,path\n");
        var hashes = new byte[32];
        string[] paths = ["a/b.jpg", "été/ünï 💡.png", "with, comma.jpg", string.Empty, " spaced "];
        for (var i = 0; i < 30; i++)
        {
            rng.NextBytes(hashes);
            var hex = i % 4 == 0 ? Convert.ToHexString(hashes) : Convert.ToHexStringLower(hashes);
            var quality = i % 3 == 0 ? string.Empty : (i * 7 % 101).ToString(CultureInfo.InvariantCulture);
            var path = paths[i % paths.Length];
            fastLines.Append(CultureInfo.InvariantCulture, $"{hex},{quality},{path}\n");
            generalLines.Append(CultureInfo.InvariantCulture, $"{hex},{quality},\"{path}\"\n");
        }

        fastLines.Append(new string('0', 64)).Append(",100,zero.jpg\n");
        generalLines.Append(new string('0', 64)).Append(",100,\"zero.jpg\"\n");
        var (fast, fastResult) = ReadRows(fastLines.ToString(), "csv");
        var (general, generalResult) = ReadRows(generalLines.ToString(), "csv");
        Assert.Equal(general, fast);
        Assert.Equal(30, fast.Count);
        Assert.Equal((generalResult.RecordsRead, generalResult.WarningCount), (fastResult.RecordsRead, fastResult.WarningCount));
    }

    [Fact]
    public async Task Imported_both_ways_the_stored_rows_the_live_lists_the_matches_and_their_metadata_are_the_same()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var leader = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(leader, t.Store.Lists, t.Time);
            var lines = EntryLines();
            foreach (var (name, text) in new[] { ("fast", Native(lines)), ("general", Native(lines.Select(General))) })
            {
                var path = Path.Combine(folder, name + ".ndjson");
                await File.WriteAllTextAsync(path, text, new UTF8Encoding(false));
                var done = await importer.RunAsync(new ListImportRequest { ListName = name, FilePath = path, Format = "needle", Actor = "admin", Node = "test/1/0" });
                Assert.True(done.State == ListImportState.Succeeded, string.Join("; ", done.Errors));
                Assert.Equal((lines.Count - 1, 1), (done.Imported, done.Skipped));
            }

            // The rows as stored, read back.
            var stored = new Dictionary<string, List<string>>();
            foreach (var name in new[] { "fast", "general" })
            {
                var rows = stored[name] = [];
                await t.Store.Lists.StreamEntriesAsync(name, 1, int.MaxValue, e => rows.Add(Show(e, sortMetadata: true)));
            }

            Assert.Equal(lines.Count - 1, stored["fast"].Count);
            Assert.Equal(stored["general"], stored["fast"]);

            // The importing node's lists (from the stage) and a node loading them from the store.
            using var loaded = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            foreach (var service in new[] { leader, loaded })
            {
                var fastList = service.FindList("fast")!;
                var generalList = service.FindList("general")!;
                Assert.Equal(generalList.Entries.Select(static e => Show(e, sortMetadata: true)), fastList.Entries.Select(static e => Show(e, sortMetadata: true)));
                Assert.Equal(stored["fast"], fastList.Entries.Select(static e => Show(e, sortMetadata: true)));

                // Matches: the photo's MD5 (given in capitals), its PDQ (one enabled copy, one disabled), its video.
                var matches = service.Match(Photo.Value).Matches;
                string Of(string list) => string.Join(
                    ";",
                    matches.Where(m => m.ListName == list).Select(static m => FormattableString.Invariant($"{m.Distance}:{Show(m.Entry, sortMetadata: true)}")).Order(StringComparer.Ordinal));
                Assert.NotEmpty(Of("fast"));
                Assert.Equal(Of("general"), Of("fast"));
                Assert.Contains("note=tab\there \\ / é 💡 <b>&'", Of("fast"), StringComparison.Ordinal);
                Assert.Contains("photo 💡", Of("fast"), StringComparison.Ordinal);
                Assert.DoesNotContain("disabled copy", Of("fast"), StringComparison.Ordinal);
            }

            // The leader's own entries in the order they were given (the detail records, not only their sorted view).
            Assert.Equal(leader.FindList("general")!.Entries.Select(static e => Show(e)), leader.FindList("fast")!.Entries.Select(static e => Show(e)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_malformed_native_line_among_fast_ones_is_named_by_its_record_number_and_field()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(host, t.Store.Lists, t.Time);
            var lines = EntryLines().Take(3).ToList();
            lines.Add("""{"signalType":"md5","value":"not hex at all","label":"bad"}""");
            lines.AddRange(EntryLines().Skip(11).Take(3));
            lines.Add("""{"signalType":"md5","value":""");
            lines.AddRange(EntryLines().Skip(14).Take(3));
            var path = Path.Combine(folder, "broken.ndjson");
            await File.WriteAllTextAsync(path, Native(lines), new UTF8Encoding(false));

            var done = await importer.RunAsync(new ListImportRequest { ListName = "broken", FilePath = path, Format = "needle", Actor = "admin", Node = "test/1/0" });
            Assert.Equal(ListImportState.Failed, done.State);
            Assert.Equal(2, done.Invalid);
            Assert.StartsWith("record 5, field value: ", done.Errors[0], StringComparison.Ordinal);
            Assert.StartsWith("record 9: invalid JSON", done.Errors[1], StringComparison.Ordinal);
            Assert.Null(host.FindList("broken"));

            await File.WriteAllTextAsync(path, Native(lines), new UTF8Encoding(false));
            var partly = await importer.RunAsync(new ListImportRequest { ListName = "partly", FilePath = path, Format = "needle", SkipInvalid = true, Actor = "admin", Node = "test/1/0" });
            Assert.Equal(ListImportState.Succeeded, partly.State);
            Assert.Equal((lines.Count - 2, 2), (partly.Imported, partly.Invalid));
            Assert.Equal(["record 5", "record 9"], partly.Errors.Select(static e => e.Split(',', ':')[0]));
            Assert.Equal(lines.Count - 2, host.FindList("partly")!.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

public sealed class ListImportPathTests_on_Sqlite() : ListImportPathTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ListImportPathTests_on_Postgres(PostgresServer server) : ListImportPathTests(StoreBackend.Postgres(server));
