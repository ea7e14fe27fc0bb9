using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Triage;
using Needle.Storage.Sqlite;

namespace Needle.Benchmarks.Storage;

/// <summary>
/// One page (50 rows) of the review queue in SQLite, over reports submitted, processed and triaged through the store
/// (scores spread over 0..99, six reporter organisations, a tenth claimed): the first page, a page half-way down (keyset
/// cursor), and the first page with a reporter filter and with other people's claims left out. Reads only, so the
/// figure is the query's, not the disk's.
/// </summary>
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 10)]
[MemoryDiagnoser]
public class SqliteTriageQueueBenchmarks
{
    private static readonly string[] Organisations = ["Platform A", "Platform B", "Hotline C", "Platform D", "Public", "Hotline F"];

    private string _folder = null!;
    private SqliteNeedleStore _store = null!;
    private string _halfWay = null!;
    private DateTimeOffset _now;

    [Params(10_000)]
    public int Reports { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<Page<QueueItem>> FirstPage() => _store.Triage.QueueAsync(new QueueQuery(), _now);

    [Benchmark]
    public Task<Page<QueueItem>> HalfWayDown() => _store.Triage.QueueAsync(new QueueQuery { After = _halfWay }, _now);

    [Benchmark]
    public Task<Page<QueueItem>> OneReporter() => _store.Triage.QueueAsync(new QueueQuery { Reporter = "hotline c" }, _now);

    [Benchmark]
    public Task<Page<QueueItem>> ClaimsOfOthersLeftOut() => _store.Triage.QueueAsync(new QueueQuery { ExcludeClaimedByOthers = true, Viewer = "analyst-0" }, _now);

    private async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "needle-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _store = new SqliteNeedleStore(Path.Combine(_folder, "needle.db"));
        await _store.MigrateAsync();
        _now = TimeProvider.System.GetUtcNow();
        var random = new Random(42);
        var submitter = Guid.NewGuid();
        var reports = new NewReport[Reports];
        for (var i = 0; i < reports.Length; i++)
        {
            var submission = new ReportSubmission
            {
                ExternalId = "bench-" + i,
                Reporter = new Reporter { Organisation = Organisations[i % Organisations.Length] },
                Files = [new SubmittedFile { OriginalName = "a.jpg", Hashes = new ReporterHashes { Md5 = i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture) } }],
            };
            reports[i] = new NewReport(Guid.NewGuid(), submission, submitter, null, _now.AddSeconds(-i), [new NewFile(Guid.NewGuid(), 0, "a.jpg", null, 0, null, submission.Files[0].Hashes)]);
        }

        var scores = reports.ToDictionary(r => r.Id, _ => (double)random.Next(100));
        var files = reports.ToDictionary(r => r.Id, r => r.Files[0].Id);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < reports.Length)
            {
                await _store.Reports.SubmitAsync(reports[i], new AuditEntryDraft("bench", "report.submit", "report/" + reports[i].Id, null, null));
            }
        })));

        // Processing then triage, through the job queue, as the workers run them (again while a completion left a triage job behind).
        while (await _store.Jobs.CountOpenAsync() > 0)
        {
            await RunJobsAsync(files, scores);
        }

        for (var i = 0; i < reports.Length; i += 10)
        {
            await _store.Triage.TryClaimAsync(reports[i].Id, "analyst-" + (i % 3), _now, _now.AddHours(1), new AuditEntryDraft("bench", "claim.take", "report/" + reports[i].Id, null, null));
        }

        // The cursor of the page half-way down the queue.
        string? after = null;
        for (var seen = 0; seen < reports.Length / 2; seen += 500)
        {
            after = (await _store.Triage.QueueAsync(new QueueQuery { Limit = 500, After = after }, _now)).Next;
        }

        _halfWay = after ?? throw new InvalidOperationException("The queue is shorter than expected.");
    }

    private Task RunJobsAsync(Dictionary<Guid, Guid> files, Dictionary<Guid, double> scores) =>
        Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (await _store.Jobs.TryLeaseAsync("bench", TimeSpan.FromMinutes(10)) is { } job)
            {
                if (job.Kind == JobKinds.ProcessReport)
                {
                    FileResult[] results = [new FileResult { FileId = files[job.SubjectId], State = FileState.HashesOnly, Md5 = "00" }];
                    await _store.Jobs.CompleteReportAsync(job, results);
                }
                else
                {
                    var score = new PriorityScore(scores[job.SubjectId], [new ScoreReason("bench", "bench", scores[job.SubjectId])], ReviewState.AwaitingReview, _now);
                    await _store.Triage.CompleteTriageAsync(job, new TriageOutcome { ReportId = job.SubjectId, Keys = [], Links = [], AutomaticDecisions = [], Score = score });
                }
            }
        })));
}
