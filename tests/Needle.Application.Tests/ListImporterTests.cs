using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Application.Lists;
using Needle.Core.Lists;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// List import at size: streamed from a file into the store's bulk load in one transaction, audited once, visible to
/// matching all at once, followed by a second node through the change log; malformed records named by number.
/// </summary>
public abstract class ListImporterTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private const string Variant = "variants/p08__jpeg_q50.jpg";

    /// <summary>Random PDQ hashes with labels (seeded), after the listed photos: a CSV of <paramref name="generated"/> + photo lines.</summary>
    internal static string WriteList(string folder, int generated, int seed, params string[] photos)
    {
        var path = Path.Combine(folder, $"list-{Guid.NewGuid():N}.csv");
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write(TestLists.PhotoCsv(photos));
        var rng = new Random(seed);
        Span<byte> bytes = stackalloc byte[32];
        for (var i = 0; i < generated; i++)
        {
            rng.NextBytes(bytes);
            writer.Write(Convert.ToHexStringLower(bytes));
            writer.Write(string.Create(CultureInfo.InvariantCulture, $",100,generated-{i:D7}\n"));
        }

        return path;
    }

    /// <summary>
    /// Generated entries of the big import (after 2 photos): 1,000,000 in all on PostgreSQL (issue 20: a 1M-entry import
    /// with a second node following it), fewer on SQLite (the same importer; CI time is better spent once).
    /// </summary>
    protected virtual int Generated => 200_000;

    private static ListImportRequest Request(string list, string path, bool skipInvalid = false) => new()
    {
        ListName = list,
        FilePath = path,
        Format = "csv",
        SkipInvalid = skipInvalid,
        Actor = "admin",
        Node = "test/1/0",
    };

    [Fact]
    public async Task An_import_streams_into_the_store_matches_at_once_is_audited_once_and_a_second_node_follows_it()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var leader = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            using var follower = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(leader, t.Store.Lists, t.Time);
            var generated = Generated;
            var path = WriteList(folder, generated, 7, "p03_flower.png", "p08_video_frame.png");
            var signals = TestLists.SignalsOf(Variant);
            Assert.Equal(MatchStatus.NoMatch, leader.Match(signals).Status);

            var clock = Stopwatch.StartNew();
            var done = await importer.RunAsync(Request("big", path));
            var seconds = clock.Elapsed.TotalSeconds;
            Assert.Equal(ListImportState.Succeeded, done.State);
            Assert.Equal(generated + 2, done.Imported);
            Assert.Equal(0, done.Invalid);
            Assert.False(File.Exists(path));

            // The importing node matches at once; entries got ids 1..N in file order.
            var list = leader.FindList("big")!;
            Assert.Equal(generated + 2, list.Count);
            var match = Assert.Single(leader.Match(signals).Matches);
            Assert.Equal("photos/p08_video_frame.png", match.Entry.Label);
            Assert.Equal(2, match.Entry.Id);
            Assert.True(list.TryGet(generated + 2, out var last));
            Assert.Equal($"generated-{generated - 1:D7}", last.Label);

            // Audited once: the list's creation and the import (with its counts), never per entry.
            var audit = await t.AuditEntriesAsync();
            Assert.Equal(["list.create", "list.import"], audit.Select(static e => e.Action));
            using (var details = JsonDocument.Parse(audit[1].Details!))
            {
                Assert.Equal(generated + 2, details.RootElement.GetProperty("imported").GetInt32());
                Assert.Equal(1, details.RootElement.GetProperty("firstId").GetInt32());
                Assert.Equal(generated + 2, details.RootElement.GetProperty("lastId").GetInt32());
            }

            // The record, read back from the store once the import is done.
            var stored = await importer.GetAsync(done.Id);
            Assert.NotNull(stored);
            Assert.Equal(ListImportState.Succeeded, stored.State);
            Assert.Equal(generated + 2, stored.Imported);
            Assert.Equal(generated + 2, stored.RecordsRead);

            // The other node applies it from the change log (in bounded batches), without a rebuild of its lists.
            Assert.Null(follower.FindList("big"));
            Assert.True(await follower.CatchUpAsync() > 1);
            var followed = follower.FindList("big")!;
            Assert.Equal(generated + 2, followed.Count);
            var rng = new Random(11);
            var hashes = list.EntriesOf(SignalTypes.Pdq);
            for (var i = 0; i < 200; i++)
            {
                var near = PdqHash.Parse(hashes[rng.Next(hashes.Count)].Value);
                var query = new FileSignals { Pdq = near, PdqQuality = 100 };
                Assert.Equal(Describe(leader.Match(query)), Describe(follower.Match(query)));
                Assert.NotEmpty(follower.Match(query).Matches);
            }

            Assert.Equal(Describe(leader.Match(signals)), Describe(follower.Match(signals)));
            Console.WriteLine(FormattableString.Invariant($"{Backend}: imported {generated + 2:N0} entries in {seconds:F1} s"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_importing_node_catches_up_without_reading_its_import_back_and_still_applies_later_changes()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            var (store, counter) = ChangeReadCounter.Wrap(t.Store.Lists);
            using var leader = await HashListService.LoadAsync(store, t.Time);
            using var follower = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(leader, store, t.Time);
            var path = WriteList(folder, 5_000, 5, "p03_flower.png", "p08_video_frame.png");
            var done = await importer.RunAsync(Request("big", path));
            Assert.Equal(ListImportState.Succeeded, done.State);
            var signals = TestLists.SignalsOf(Variant);
            var before = Describe(leader.Match(signals));

            // Its own import's change rows are read (the sequence moves on) without their entries, and change nothing.
            Assert.True(await leader.CatchUpAsync() > 1);
            Assert.Equal(0, counter.EntriesRead);
            Assert.Equal(5_002, leader.FindList("big")!.Count);
            Assert.Equal(before, Describe(leader.Match(signals)));

            // Another node's later change to an entry of that range is read with its state and applied.
            await follower.CatchUpAsync();
            Assert.True(await follower.SetEntryEnabledAsync("big", 2, false, "admin"));
            Assert.True(await leader.CatchUpAsync() > 0);
            Assert.Equal(1, counter.EntriesRead);
            Assert.Equal(MatchStatus.NoMatch, leader.Match(signals).Status);
            Assert.Equal(Describe(follower.Match(signals)), Describe(leader.Match(signals)));

            // A node loading afresh from the store agrees.
            using var loaded = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            Assert.Equal(5_002, loaded.FindList("big")!.Count);
            Assert.Equal(MatchStatus.NoMatch, loaded.Match(signals).Status);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_native_import_keeps_every_field_as_written_on_the_importing_node_and_on_a_follower()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var leader = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            using var follower = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(leader, t.Store.Lists, t.Time);

            // Repeated texts (pooled when read) between unique ones, escapes, non-ASCII, HTML characters, no metadata.
            var rng = new Random(5);
            Span<byte> bytes = stackalloc byte[16];
            var written = new List<(string Value, string? Label, string? Category, string? Source, bool Enabled, Dictionary<string, string> Metadata)>();
            string[] categories = ["A1", "B2", "Catégorie \"ß\"", "<b>&'"];
            var path = Path.Combine(folder, "list.ndjson");
            using (var writer = new StreamWriter(path, false, new UTF8Encoding(false)))
            {
                writer.Write("{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"native\",\"kind\":\"known\"}\n");
                for (var i = 0; i < 3000; i++)
                {
                    rng.NextBytes(bytes);
                    var value = Convert.ToHexStringLower(bytes);
                    var metadata = i % 7 == 0
                        ? new Dictionary<string, string>()
                        : new Dictionary<string, string>
                        {
                            ["case"] = string.Create(CultureInfo.InvariantCulture, $"C-{i % 13}"),
                            ["note"] = i % 2 == 0 ? "tab\there, quote \" and 💡" : string.Create(CultureInfo.InvariantCulture, $"unique {i} <x>"),
                            [i % 3 == 0 ? "clé" : "key"] = "v",
                        };
                    var entry = (value, i % 5 == 0 ? null : string.Create(CultureInfo.InvariantCulture, $"label-{i}"), categories[i % 4], i % 2 == 0 ? "programme.csv" : null, i % 9 != 0, metadata);
                    written.Add(entry);
                    writer.Write(JsonSerializer.Serialize(new
                    {
                        id = i + 1,
                        signalType = "md5",
                        value,
                        label = entry.Item2,
                        category = entry.Item3,
                        source = entry.Item4,
                        enabled = entry.Item5,
                        metadata,
                    }));
                    writer.Write('\n');
                }
            }

            var done = await importer.RunAsync(Request("native", path) with { Format = "needle" });
            Assert.True(done.State == ListImportState.Succeeded, string.Join("; ", done.Errors));
            Assert.Equal(written.Count, done.Imported);
            Assert.True(await follower.CatchUpAsync() > 0);
            foreach (var service in new[] { leader, follower })
            {
                var list = service.FindList("native")!;
                Assert.Equal(written.Count, list.Count);
                for (var i = 0; i < written.Count; i++)
                {
                    Assert.True(list.TryGet(i + 1, out var entry));
                    var expected = written[i];
                    Assert.Equal((expected.Value, expected.Label, expected.Category, expected.Source, expected.Enabled), (entry.Value, entry.Label, entry.Category, entry.Source, entry.Enabled));
                    Assert.Equal(expected.Metadata.OrderBy(static p => p.Key, StringComparer.Ordinal), entry.Metadata.OrderBy(static p => p.Key, StringComparer.Ordinal));
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Malformed_records_are_named_by_number_and_nothing_is_imported()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(host, t.Store.Lists, t.Time);
            var path = WriteBroken(folder);

            var done = await importer.RunAsync(Request("broken", path));
            Assert.Equal(ListImportState.Failed, done.State);
            Assert.Equal(0, done.Imported);
            Assert.Equal(2, done.Invalid);
            Assert.Contains(done.Errors, static e => e.StartsWith("record 4", StringComparison.Ordinal));
            Assert.Contains(done.Errors, static e => e.StartsWith("record 6", StringComparison.Ordinal));

            // Nothing at all: not the list, not an entry, not an audit entry.
            Assert.Null(host.FindList("broken"));
            Assert.Empty(await t.Store.Lists.GetListsAsync());
            Assert.Empty(await t.AuditEntriesAsync());
            Assert.Equal(ListImportState.Failed, (await importer.GetAsync(done.Id))!.State);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task With_skipInvalid_the_good_records_are_imported_and_the_bad_ones_reported()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            var importer = new ListImporter(host, t.Store.Lists, t.Time);
            var path = WriteBroken(folder);

            var done = await importer.RunAsync(Request("partly", path, skipInvalid: true));
            Assert.Equal(ListImportState.Succeeded, done.State);
            Assert.Equal(4, done.Imported);
            Assert.Equal(2, done.Invalid);
            Assert.Equal(["record 4", "record 6"], done.Errors.Select(static e => e.Split(',', ':')[0]));
            Assert.Equal(4, host.FindList("partly")!.Count);
            Assert.Equal(MatchStatus.Match, host.Match(TestLists.SignalsOf(Variant)).Status);
            Assert.Equal(["list.create", "list.import"], (await t.AuditEntriesAsync()).Select(static e => e.Action));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_background_import_shows_its_progress_while_it_runs_and_nothing_matches_before_it_commits()
    {
        await using var t = await CreateStoreAsync();
        var folder = Directory.CreateTempSubdirectory("needle-import-").FullName;
        try
        {
            using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
            await host.CreateListAsync("piped", HashListKind.Known, null, "admin");
            var importer = new ListImporter(host, t.Store.Lists, t.Time);

            // A named pipe as the file: the import reads what the test has written and waits for the rest.
            var pipe = Path.Combine(folder, "list.pipe");
            using (var mkfifo = Process.Start("mkfifo", [pipe]))
            {
                await mkfifo.WaitForExitAsync();
                Assert.Equal(0, mkfifo.ExitCode);
            }

            var started = await importer.StartAsync(Request("piped", pipe), CancellationToken.None);
            Assert.Equal(ListImportState.Running, started.State);
            var source = WriteList(folder, 20_000, 3, "p08_video_frame.png");
            var lines = await File.ReadAllLinesAsync(source);
            var signals = TestLists.SignalsOf(Variant);
            var writer = new StreamWriter(new FileStream(pipe, FileMode.Open, FileAccess.Write), new UTF8Encoding(false));
            await using (writer)
            {
                foreach (var line in lines.Take(10_001))
                {
                    await writer.WriteLineAsync(line);
                }

                await writer.FlushAsync();

                // The importer has read at least 8,192 records (progress is counted every 4,096) and waits for more.
                ListImportRecord? running;
                do
                {
                    running = await importer.GetAsync(started.Id);
                    Assert.NotNull(running);
                    Assert.Equal(ListImportState.Running, running.State);
                    await Task.Yield();
                }
                while (running.RecordsRead < 8192);

                Assert.True(running.Imported >= 8190);
                Assert.Equal(0, host.FindList("piped")!.Count);
                Assert.Equal(MatchStatus.NoMatch, host.Match(signals).Status);
                Assert.Empty(await t.Store.Lists.GetEntriesAsync("piped"));
                foreach (var line in lines.Skip(10_001))
                {
                    await writer.WriteLineAsync(line);
                }
            }

            ListImportRecord? done;
            do
            {
                await Task.Delay(10);
                done = await importer.GetAsync(started.Id);
            }
            while (done!.State == ListImportState.Running);

            Assert.Equal(ListImportState.Succeeded, done.State);
            Assert.Equal(20_001, done.Imported);
            Assert.Equal(20_001, host.FindList("piped")!.Count);
            Assert.Equal(MatchStatus.Match, host.Match(signals).Status);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Header, 3 photos, a bad hash (line 4), a photo, a bad quality (line 6), a good random line: 4 good, 2 bad.</summary>
    private static string WriteBroken(string folder)
    {
        var photos = TestLists.PhotoCsv("p03_flower.png", "p08_video_frame.png", "p05_branches.png").TrimEnd('\n').Split('\n');
        var extra = TestLists.PhotoCsv("p29_koala.png").TrimEnd('\n').Split('\n')[1];
        var path = Path.Combine(folder, "broken.csv");
        File.WriteAllLines(path, [photos[0], photos[1], photos[2], "zz-not-a-hash,100,bad", photos[3], photos[3][..64] + ",not-a-quality,bad", extra]);
        return path;
    }

    private static string Describe(MatchResult result) =>
        string.Join(";", result.Matches.Select(static m => $"{m.ListName}/{m.Entry.Id}/{m.Distance}").Order(StringComparer.Ordinal));
}

public sealed class ListImporterTests_on_Sqlite() : ListImporterTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ListImporterTests_on_Postgres(PostgresServer server) : ListImporterTests(StoreBackend.Postgres(server))
{
    protected override int Generated => 999_998;
}
