using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;
using Needle.Application.Lists;
using Needle.Application.Triage;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// The near-duplicate media index starting from its snapshot on a real store: a valid snapshot is loaded and the files
/// stored after it read; a damaged, foreign, stale or other-settings one is refused with the reason logged and the index
/// read from the store. Either way, searches find exactly what an index read from the store finds.
/// </summary>
public abstract class MediaIndexSnapshotTests(StoreBackend backend) : StoreBackedTests(backend), IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("needle-media-snapshots-").FullName;

    public void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task ASnapshotIsLoadedAndTheFilesStoredAfterItAreRead()
    {
        await using var h = await CreateHarnessAsync();
        var reports = await SubmitAsync(h, 1, 2);
        var snapshots = Options("node-a");
        using (var first = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, new Logs()))
        {
            await first.WriteSnapshotAsync();
            Assert.Equal(4, first.Count);
        }

        Assert.True(File.Exists(Path.Combine(snapshots.Directory, NearDuplicateMediaIndex.SnapshotFileName)));

        // Behind the store: more reports are stored while the node is down; they are read after the snapshot.
        var later = await SubmitAsync(h, 3);
        var logs = new Logs();
        using var restarted = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, logs);
        using var fromStore = new NearDuplicateMediaIndex(h.Store.Triage, h.Options);
        await AssertSameFindsAsync(fromStore, restarted, [.. reports, .. later]);
        Assert.Contains(logs.Lines, l => l.Contains("4 files loaded from its snapshot", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("not used", StringComparison.Ordinal));
        Assert.Equal(6, restarted.Count);

        // A near-duplicate of the later report's image links to it through the restarted index.
        var near = await restarted.FindAsync(Pdq(later[0].Files.Single(f => f.Ordinal == 1)), Guid.Empty);
        Assert.Contains(near, n => n.ReportId == later[0].Id && n.FileId == later[0].Files.Single(f => f.Ordinal == 1).Id);
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("bit-flipped", "checksum does not match")]
    [InlineData("other version", "format version 2")]
    [InlineData("not a snapshot", "not a snapshot")]
    public async Task ADamagedSnapshotIsRebuiltFromTheStoreWithTheReasonLogged(string damage, string reason)
    {
        await using var h = await CreateHarnessAsync();
        var reports = await SubmitAsync(h, 1, 2);
        var snapshots = Options("node-a");
        using (var first = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, new Logs()))
        {
            await first.WriteSnapshotAsync();
        }

        var path = Path.Combine(snapshots.Directory, NearDuplicateMediaIndex.SnapshotFileName);
        Damage(path, damage);
        var logs = new Logs();
        using var restarted = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, logs);
        using var fromStore = new NearDuplicateMediaIndex(h.Store.Triage, h.Options);
        await AssertSameFindsAsync(fromStore, restarted, reports);
        Assert.Contains(reason, Assert.Single(logs.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(4, restarted.Count);

        // The next write replaces the bad file with a good one.
        await restarted.WriteSnapshotAsync();
        var logs3 = new Logs();
        using var third = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, logs3);
        await third.CatchUpAsync();
        Assert.Contains(logs3.Lines, l => l.Contains("4 files loaded from its snapshot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASnapshotOfAnotherDatabaseOrAheadOfThisOneIsRefused()
    {
        await using var a = await CreateHarnessAsync();
        await using var b = await CreateHarnessAsync();
        await using var c = await CreateHarnessAsync();
        await SubmitAsync(a, 1, 2);
        var onB = await SubmitAsync(b, 4, 5);
        var onC = await SubmitAsync(c, 6);
        using (var indexA = new NearDuplicateMediaIndex(a.Store.Triage, a.Options, Options("a"), new Logs()))
        {
            await indexA.WriteSnapshotAsync();
        }

        var fromA = Path.Combine(Options("a").Directory, NearDuplicateMediaIndex.SnapshotFileName);
        Directory.CreateDirectory(Options("b").Directory);
        Directory.CreateDirectory(Options("c").Directory);
        File.Copy(fromA, Path.Combine(Options("b").Directory, NearDuplicateMediaIndex.SnapshotFileName));
        File.Copy(fromA, Path.Combine(Options("c").Directory, NearDuplicateMediaIndex.SnapshotFileName));

        // Same media sequences, other files.
        var logsB = new Logs();
        using var indexB = new NearDuplicateMediaIndex(b.Store.Triage, b.Options, Options("b"), logsB);
        using var storeB = new NearDuplicateMediaIndex(b.Store.Triage, b.Options);
        await AssertSameFindsAsync(storeB, indexB, onB);
        Assert.Contains("a snapshot of another database", Assert.Single(logsB.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);

        // A database that never reached the snapshot's sequence (restored, or another one).
        var logsC = new Logs();
        using var indexC = new NearDuplicateMediaIndex(c.Store.Triage, c.Options, Options("c"), logsC);
        using var storeC = new NearDuplicateMediaIndex(c.Store.Triage, c.Options);
        await AssertSameFindsAsync(storeC, indexC, onC);
        Assert.Contains("which the database does not hold", Assert.Single(logsC.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(2, indexC.Count);
    }

    [Fact]
    public async Task ASnapshotBuiltWithAnotherMinimumQualityIsRebuilt()
    {
        await using var h = await CreateHarnessAsync();
        var reports = await SubmitAsync(h, 1, 2);
        var snapshots = Options("node-a");
        using (var first = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, new Logs()))
        {
            await first.WriteSnapshotAsync();
        }

        var stricter = h.Options with { MinimumPdqQuality = h.Options.MinimumPdqQuality + 1 };
        var logs = new Logs();
        using var restarted = new NearDuplicateMediaIndex(h.Store.Triage, stricter, snapshots, logs);
        using var fromStore = new NearDuplicateMediaIndex(h.Store.Triage, stricter);
        await AssertSameFindsAsync(fromStore, restarted, reports);
        Assert.Contains("settings changed", Assert.Single(logs.Lines, l => l.Contains("snapshot not used", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnoughNewFilesWriteTheSnapshotInTheBackground()
    {
        await using var h = await CreateHarnessAsync();
        var snapshots = Options("node-a") with { RefreshAfterChanges = 3 };
        var logs = new Logs();
        using var index = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, logs);
        await index.CatchUpAsync();
        var written = logs.WaitFor("wrote its snapshot of 4 files");
        await SubmitAsync(h, 1, 2);
        await index.CatchUpAsync();
        await written;

        var reloadLogs = new Logs();
        using var reloaded = new NearDuplicateMediaIndex(h.Store.Triage, h.Options, snapshots, reloadLogs);
        await reloaded.CatchUpAsync();
        Assert.Contains(reloadLogs.Lines, l => l.Contains("4 files loaded from its snapshot", StringComparison.Ordinal));
        Assert.Equal(4, reloaded.Count);
    }

    private ListSnapshotOptions Options(string node) => new() { Directory = Path.Combine(_folder, node), RefreshAfterChanges = 1_000_000 };

    /// <summary>One report per seed, each holding a generated image and a recompressed, resized copy of it.</summary>
    private static async Task<List<StoredReport>> SubmitAsync(TriageHarness h, params int[] seeds)
    {
        var reports = new List<StoredReport>();
        foreach (var seed in seeds)
        {
            var image = TestImages.Generated(seed, 640, 480);
            reports.Add(await h.SubmitAndRunAsync(image, TestImages.Resized(image, 320, 240, quality: 70)));
        }

        return reports;
    }

    private static PdqHash Pdq(StoredFile file) => PdqHash.Parse(file.Pdq!);

    /// <summary>Every file of <paramref name="reports"/>, searched in both indexes, finds the same files at the same distances.</summary>
    private static async Task AssertSameFindsAsync(NearDuplicateMediaIndex expected, NearDuplicateMediaIndex actual, IEnumerable<StoredReport> reports)
    {
        var any = false;
        foreach (var report in reports)
        {
            foreach (var file in report.Files)
            {
                foreach (var distance in new[] { 0, 31, 90 })
                {
                    foreach (var excluding in new[] { report.Id, Guid.Empty })
                    {
                        var want = await expected.FindAsync(Pdq(file), excluding, distance);
                        var got = await actual.FindAsync(Pdq(file), excluding, distance);
                        Assert.Equal(want, got);
                        any |= got.Any(n => n.FileId != file.Id);
                    }
                }
            }
        }

        Assert.True(any, "no search found anything: the comparison proves nothing");
        Assert.Equal(expected.Count, actual.Count);
    }

    private static void Damage(string path, string damage)
    {
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(path, bytes[..^37]);
                break;
            case "bit-flipped":
                bytes[bytes.Length - 20] ^= 0x10;
                File.WriteAllBytes(path, bytes);
                break;
            case "other version":
                // A well-formed file of a future version: the header checksum is made to match again.
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 2);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(56), XxHash3.HashToUInt64(bytes.AsSpan(0, 56)));
                File.WriteAllBytes(path, bytes);
                break;
            case "not a snapshot":
                File.WriteAllText(path, "hash,quality,label\n" + new string('0', 64) + ",100,x\n");
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

public sealed class MediaIndexSnapshotTests_on_Sqlite() : MediaIndexSnapshotTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class MediaIndexSnapshotTests_on_Postgres(PostgresServer server) : MediaIndexSnapshotTests(StoreBackend.Postgres(server));
