using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Needle.Core.Audit;
using Needle.Core.Reports;
using Needle.Storage.Sqlite;

namespace Needle.Benchmarks.Storage;

/// <summary>
/// Durable submissions into SQLite (WAL, synchronous=FULL: one fsync per report): 1,000 reports of two files each (1 KB or 50 KB)
/// per iteration, into a fresh file in the temp folder, from one writer or several concurrent ones, with and without
/// group commit. The time shown is per report; submissions/s = 1 s / Mean. Bound by the disk's fsync latency, so the figure is the machine's, not the code's.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class SqliteSubmitBenchmarks
{
    private const int Reports = 1_000;

    private string _folder = null!;
    private SqliteNeedleStore _store = null!;
    private NewReport[] _reports = [];

    [Params(1, 8)]
    public int Writers { get; set; }

    /// <summary>Bytes of each of the two files: 1 KB shows the fsync-bound regime, 50 KB the bandwidth-bound one.</summary>
    [Params(1024, 50 * 1024)]
    public int FileSize { get; set; }

    /// <summary>Writes committed together: 1 is one transaction (one fsync) per report, 64 is the store's default group commit.</summary>
    [Params(1, 64)]
    public int GroupSize { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "needle-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _store = new SqliteNeedleStore(Path.Combine(_folder, "needle.db"), new SqliteStoreOptions { MaxWriteGroupSize = GroupSize });
        _store.MigrateAsync().GetAwaiter().GetResult();
        var random = new Random(42);
        var submitter = Guid.NewGuid();
        var receivedAt = DateTimeOffset.UnixEpoch.AddYears(56);
        _reports = [.. Enumerable.Range(0, Reports).Select(i =>
        {
            var submission = new ReportSubmission
            {
                ExternalId = "bench-" + i,
                IncidentType = "child-pornography",
                Description = "benchmark report",
                Files = [new SubmittedFile { Part = "file0", OriginalName = "a.jpg" }, new SubmittedFile { Part = "file1", OriginalName = "b.jpg" }],
            };
            NewFile File(int ordinal)
            {
                var bytes = new byte[FileSize];
                random.NextBytes(bytes);
                return new NewFile(Guid.NewGuid(), ordinal, submission.Files[ordinal].OriginalName, "image/jpeg", FileSize, bytes, null);
            }

            return new NewReport(Guid.NewGuid(), submission, submitter, "key-" + i, receivedAt.AddTicks(i), [File(0), File(1)]);
        })];
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Reports)]
    public async Task Submit()
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < _reports.Length)
            {
                var report = _reports[i];
                await _store.Reports.SubmitAsync(report, new AuditEntryDraft(report.SubmittedBy.ToString(), "report.submit", "report/" + report.Id, null, "192.0.2.1"));
            }
        })));
    }
}
