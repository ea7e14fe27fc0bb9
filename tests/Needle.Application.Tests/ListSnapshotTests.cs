using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Needle.Application.Lists;
using Needle.Matching.Lists;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// Start-up from list snapshots on a real store: a valid snapshot is loaded and the change log after it applied; a
/// damaged, foreign or stale one is refused with the reason logged and the list read from the store, matching the same.
/// </summary>
public abstract class ListSnapshotTests(StoreBackend backend) : StoreBackedTests(backend), IDisposable
{
    private const string Variant = "variants/p08__jpeg_q50.jpg";
    private const string Md5 = "0123456789abcdef0123456789abcdef";

    private readonly string _folder = Directory.CreateTempSubdirectory("needle-snapshots-").FullName;

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task With_nothing_changed_since_the_last_write_a_write_leaves_the_snapshot_as_it_is()
    {
        await using var t = await CreateStoreAsync();
        var snapshots = Options("node-same");
        using var node = await LoadAsync(t, snapshots, new Logs());
        await FillAsync(node, "known");
        await node.WriteSnapshotsAsync();
        var path = Path.Combine(snapshots.Directory, "known.ndls");
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));

        // A shutdown right after a refresh: nothing to write (at 100M entries a write takes minutes).
        await node.WriteSnapshotsAsync();
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));

        // After a change, the next write writes again.
        Assert.True(await node.SetEntryEnabledAsync("known", 1, false, "admin"));
        await node.WriteSnapshotsAsync();
        Assert.True(File.GetLastWriteTimeUtc(path) > written.AddHours(-1));
    }

    [Fact]
    public async Task ASnapshotIsLoadedAndMatchesCarryTheImportedDetails()
    {
        await using var t = await CreateStoreAsync();
        var snapshots = Options("node-a");
        IReadOnlyList<HashListEntry> imported;
        MatchResult before;
        using (var first = await LoadAsync(t, snapshots, new Logs()))
        {
            imported = await FillAsync(first, "known");
            before = first.Match(Signals());
            await first.WriteSnapshotsAsync();
        }

        Assert.True(File.Exists(Path.Combine(snapshots.Directory, "known.ndls")));
        var logs = new Logs();
        using var second = await LoadAsync(t, snapshots, logs);
        Assert.Contains(logs.Lines, l => l.Contains("'known': 4 entries loaded from its snapshot", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("not used", StringComparison.Ordinal));

        var after = second.Match(Signals());
        Assert.Equal(MatchStatus.Match, after.Status);
        Assert.Equal(Describe(before), Describe(after));
        var md5 = Assert.Single(after.Matches, m => m.SignalType == SignalTypes.Md5);
        AssertSame(imported.Single(e => e.SignalType == SignalTypes.Md5), md5.Entry);
        var pdq = Assert.Single(after.Matches, m => m.SignalType == SignalTypes.Pdq);
        AssertSame(imported.Single(e => e.Id == pdq.Entry.Id), pdq.Entry);
        var list = second.FindList("known")!;
        Assert.Equal(imported.Count, list.Count);
        foreach (var entry in imported)
        {
            Assert.True(list.TryGet(entry.Id, out var loaded));
            AssertSame(entry, loaded);
        }

        // The list keeps working: entries added after the load match, with their details.
        var added = await second.AddEntriesAsync("known", [new HashListEntry(SignalTypes.Md5, "ffffffffffffffffffffffffffffffff") { Label = "later" }], "admin");
        var later = second.Match(new FileSignals { Md5 = "ffffffffffffffffffffffffffffffff" });
        Assert.Equal("later", Assert.Single(later.Matches).Entry.Label);
        Assert.Equal(added[0].Id, later.Matches[0].Entry.Id);
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("bit-flipped", "checksum does not match")]
    [InlineData("another list", "another list's snapshot")]
    [InlineData("other version", "format version 2")]
    public async Task ABadSnapshotIsRebuiltFromTheStoreWithTheReasonLogged(string damage, string reason)
    {
        await using var t = await CreateStoreAsync();
        var snapshots = Options("node-a");
        IReadOnlyList<HashListEntry> imported;
        using (var first = await LoadAsync(t, snapshots, new Logs()))
        {
            imported = await FillAsync(first, "known");
            await first.CreateListAsync("other", HashListKind.Known, null, "admin");
            await first.AddEntriesAsync("other", [new HashListEntry(SignalTypes.Md5, "11111111111111111111111111111111") { Label = "other" }], "admin");
            await first.WriteSnapshotsAsync();
        }

        var path = Path.Combine(snapshots.Directory, "known.ndls");
        Damage(path, Path.Combine(snapshots.Directory, "other.ndls"), damage);
        var logs = new Logs();
        using var second = await LoadAsync(t, snapshots, logs);
        var line = Assert.Single(logs.Lines, l => l.Contains("'known': snapshot not used", StringComparison.Ordinal));
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Contains("'other': 1 entries loaded from its snapshot", StringComparison.Ordinal));

        var result = second.Match(Signals());
        Assert.Equal(2, result.Matches.Count);
        Assert.All(result.Matches, m => Assert.Equal("known", m.ListName));
        AssertSame(imported.Single(e => e.SignalType == SignalTypes.Md5), result.Matches.Single(m => m.SignalType == SignalTypes.Md5).Entry);
        Assert.Equal(imported.Count, second.FindList("known")!.Count);
        Assert.Equal("other", Assert.Single(second.Match(new FileSignals { Md5 = "11111111111111111111111111111111" }).Matches).Entry.Label);

        // The next write replaces the bad file with a good one.
        await second.WriteSnapshotsAsync();
        var logs3 = new Logs();
        using var third = await LoadAsync(t, snapshots, logs3);
        Assert.Contains(logs3.Lines, l => l.Contains("'known': 4 entries loaded from its snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASnapshotOfAnotherDatabaseIsRefused()
    {
        // Two databases on the same clock: the same list name and creation time, different histories.
        await using var a = await CreateStoreAsync();
        await using var b = await CreateStoreAsync();
        await using var c = await CreateStoreAsync();
        using (var onA = await LoadAsync(a, Options("a"), new Logs()))
        {
            await FillAsync(onA, "known");
            await onA.WriteSnapshotsAsync();
        }

        using (var onB = await LoadAsync(b, Options("b"), new Logs()))
        {
            await onB.CreateListAsync("known", HashListKind.Known, null, "admin");
            await onB.AddEntriesAsync("known", [new HashListEntry(SignalTypes.Md5, Md5) { Label = "b-1" }], "admin");
            await onB.AddEntriesAsync("known", [new HashListEntry(SignalTypes.Md5, "22222222222222222222222222222222") { Label = "b-2" }], "admin");
        }

        using (var onC = await LoadAsync(c, Options("c"), new Logs()))
        {
            await onC.CreateListAsync("known", HashListKind.Known, null, "admin");
        }

        File.Copy(Path.Combine(Options("a").Directory, "known.ndls"), Path.Combine(Options("b").Directory, "known.ndls"));
        File.Copy(Path.Combine(Options("a").Directory, "known.ndls"), Path.Combine(Options("c").Directory, "known.ndls"));

        var logsB = new Logs();
        using var reloadedB = await LoadAsync(b, Options("b"), logsB);
        Assert.Contains("a snapshot of another database", Assert.Single(logsB.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal("b-1", Assert.Single(reloadedB.Match(new FileSignals { Md5 = Md5 }).Matches).Entry.Label);
        Assert.Equal(2, reloadedB.FindList("known")!.Count);

        var logsC = new Logs();
        using var reloadedC = await LoadAsync(c, Options("c"), logsC);
        Assert.Contains("but the database's log ends at 1", Assert.Single(logsC.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(0, reloadedC.FindList("known")!.Count);
        Assert.Equal(MatchStatus.NoMatch, reloadedC.Match(Signals()).Status);
    }

    [Fact]
    public async Task ASnapshotBehindTheLogIsCaughtUpByApplyingTheLog()
    {
        await using var t = await CreateStoreAsync();
        var snapshots = Options("node-a");
        using var writer = await LoadAsync(t, Options("writer"), new Logs());
        IReadOnlyList<HashListEntry> imported;
        using (var node = await LoadAsync(t, snapshots, new Logs()))
        {
            imported = await FillAsync(node, "known");
            await node.CreateListAsync("doomed", HashListKind.Known, null, "admin");
            await node.WriteSnapshotsAsync();
        }

        // Changes after the snapshot, made by another node while this one is down.
        await writer.CatchUpAsync();
        var p08 = imported.Single(e => e.Label == "photos/p08_video_frame.png");
        Assert.True(await writer.SetEntryEnabledAsync("known", p08.Id, false, "admin"));
        var md5 = imported.Single(e => e.SignalType == SignalTypes.Md5);
        Assert.True(await writer.RemoveEntryAsync("known", md5.Id, "admin"));
        var added = await writer.AddEntriesAsync("known", [new HashListEntry(SignalTypes.Md5, "33333333333333333333333333333333") { Label = "after", Metadata = new Dictionary<string, string> { ["case"] = "C-9" } }], "admin");
        Assert.True(await writer.DeleteListAsync("doomed", "admin"));
        await writer.CreateListAsync("newer", HashListKind.Known, null, "admin");
        await writer.AddEntriesAsync("newer", [new HashListEntry(SignalTypes.Md5, Signals().Md5!) { Label = "newer" }], "admin");

        var logs = new Logs();
        using var restarted = await LoadAsync(t, snapshots, logs);
        Assert.Contains(logs.Lines, l => l.Contains("'known': 4 entries loaded from its snapshot", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("'newer': no snapshot yet", StringComparison.Ordinal));
        Assert.Equal(["known", "newer"], restarted.Lists.Select(l => l.Name));
        await writer.CatchUpAsync();
        Assert.Equal(writer.Sequence, restarted.Sequence);

        var known = restarted.FindList("known")!;
        Assert.Equal(4, known.Count);
        Assert.True(known.TryGetEnabled(p08.Id, out var enabled));
        Assert.False(enabled);
        Assert.False(known.TryGet(md5.Id, out _));
        var later = Assert.Single(restarted.Match(new FileSignals { Md5 = "33333333333333333333333333333333" }).Matches);
        Assert.Equal(added[0].Id, later.Entry.Id);
        Assert.Equal("C-9", later.Entry.Metadata["case"]);
        var result = restarted.Match(Signals());
        Assert.Equal("newer", Assert.Single(result.Matches).ListName);

        // The list deleted meanwhile loses its snapshot at the next write.
        await restarted.WriteSnapshotsAsync();
        Assert.False(File.Exists(Path.Combine(snapshots.Directory, "doomed.ndls")));
        Assert.True(File.Exists(Path.Combine(snapshots.Directory, "newer.ndls")));
    }

    [Fact]
    public async Task EnoughChangesWriteTheSnapshotsInTheBackground()
    {
        await using var t = await CreateStoreAsync();
        var snapshots = Options("node-a") with { RefreshAfterChanges = 3 };
        var logs = new Logs();
        using var node = await LoadAsync(t, snapshots, logs);
        await node.CreateListAsync("known", HashListKind.Known, null, "admin");
        var written = logs.WaitFor("Wrote snapshots");
        await node.AddEntriesAsync("known", TestLists.Import(TestLists.PhotoCsv("p03_flower.png", "p08_video_frame.png", "p05_branches.png")), "admin");
        await written;

        var reloadLogs = new Logs();
        using var reloaded = await LoadAsync(t, snapshots, reloadLogs);
        Assert.Contains(reloadLogs.Lines, l => l.Contains("'known': 3 entries loaded from its snapshot", StringComparison.Ordinal));
        Assert.Equal(MatchStatus.Match, reloaded.Match(Signals()).Status);
    }

    private ListSnapshotOptions Options(string node) => new() { Directory = Path.Combine(_folder, node), RefreshAfterChanges = 1_000_000 };

    private static Task<HashListService> LoadAsync(TestStore t, ListSnapshotOptions snapshots, Logs logs) =>
        HashListService.LoadAsync(t.Store.Lists, t.Time, null, null, snapshots, logs);

    /// <summary>Three photos' PDQ hashes and one MD5 entry with every detail.</summary>
    private static async Task<IReadOnlyList<HashListEntry>> FillAsync(HashListService host, string name)
    {
        await host.CreateListAsync(name, HashListKind.Known, null, "admin");
        var photos = await host.AddEntriesAsync(name, TestLists.Import(TestLists.PhotoCsv("p03_flower.png", "p08_video_frame.png", "p05_branches.png")), "admin");
        var md5 = new HashListEntry(SignalTypes.Md5, Signals().Md5!)
        {
            Label = "NCMEC-000000042",
            Category = "2",
            Source = "programme-2025.csv",
            Metadata = new Dictionary<string, string> { ["case"] = "C-0000042", ["received"] = "2025-03-01T10:00:00Z" },
        };
        var exact = await host.AddEntriesAsync(name, [md5], "admin");
        return [.. photos, .. exact];
    }

    private static FileSignals Signals() => TestLists.SignalsOf(Variant);

    private static void AssertSame(HashListEntry expected, HashListEntry actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.SignalType, actual.SignalType);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Category, actual.Category);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Enabled, actual.Enabled);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
    }

    private static string[] Describe(MatchResult result) =>
        [.. result.Matches.Select(m => $"{m.ListName} {m.Entry.Id} {m.SignalType} {m.Distance} {m.Entry.Label} {m.Entry.Category} {m.Entry.Source} {string.Join(';', m.Entry.Metadata.OrderBy(p => p.Key))}")];

    private static void Damage(string path, string otherListPath, string damage)
    {
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..^37]);
                break;
            case "bit-flipped":
                bytes[bytes.Length - 100] ^= 0x10;
                File.WriteAllBytes(path, bytes);
                break;
            case "another list":
                File.Copy(otherListPath, path, overwrite: true);
                break;
            case "other version":
                // A well-formed file of a future version: the header checksum is made to match again.
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 2);
                var headerLength = 40 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12)) + 8;
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(headerLength - 8), XxHash3.HashToUInt64(bytes.AsSpan(0, headerLength - 8)));
                File.WriteAllBytes(path, bytes);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, null);
        }
    }

    /// <summary>Log lines as written; a wait completes when a line containing some text arrives.</summary>
    private sealed class Logs : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public Task WaitFor(string text) => _waits.GetOrAdd(text, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)}";
            _lines.Enqueue(line);
            foreach (var (text, wait) in _waits)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    wait.TrySetResult();
                }
            }
        }
    }
}

public sealed class ListSnapshotTests_on_Sqlite() : ListSnapshotTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ListSnapshotTests_on_Postgres(PostgresServer server) : ListSnapshotTests(StoreBackend.Postgres(server));
