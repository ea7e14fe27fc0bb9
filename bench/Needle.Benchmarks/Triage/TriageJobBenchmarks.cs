using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Needle.Application.Lists;
using Needle.Application.Processing;
using Needle.Application.Triage;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Storage.Sqlite;

namespace Needle.Benchmarks.Triage;

/// <summary>
/// Triage of processed reports in SQLite, one worker: each report's keys looked up, its images searched in the
/// near-duplicate index, copies of decided files resolved, its score computed and everything stored with the job, plus
/// the score jobs of the reports it links to. 500 reports of 2 files per iteration, over 2,000 triaged before; reports
/// share an email in groups of 5 and one file in 10 is a near-copy of an earlier one. The time shown is per report.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
[MemoryDiagnoser]
public class TriageJobBenchmarks
{
    private const int Earlier = 2_000;
    private const int Measured = 500;

    private string _folder = null!;
    private SqliteNeedleStore _store = null!;
    private HashListService _matchers = null!;
    private NearDuplicateMediaIndex _index = null!;
    private TriageProcessor _triage = null!;

    [IterationSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [IterationCleanup]
    public void Cleanup()
    {
        _index.Dispose();
        _matchers.Dispose();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = Measured)]
    public async Task TriageReport()
    {
        while (await _store.Jobs.TryLeaseAsync("bench", TimeSpan.FromMinutes(10)) is { } job)
        {
            if (await _triage.ProcessAsync(job) != ProcessOutcome.Completed)
            {
                throw new InvalidOperationException($"{job.Kind} {job.SubjectId} did not complete");
            }
        }
    }

    private async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "needle-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _store = new SqliteNeedleStore(Path.Combine(_folder, "needle.db"));
        await _store.MigrateAsync();
        _matchers = await HashListService.LoadAsync(_store.Lists, TimeProvider.System);
        _index = new NearDuplicateMediaIndex(_store.Triage, ScoringOptions.Default);
        _triage = new TriageProcessor(_store, _matchers, _index, ScoringOptions.Default, TimeProvider.System);
        var random = new Random(42);
        var pdqs = new List<byte[]>();
        await AddReportsAsync(Earlier, random, pdqs, triage: true);
        await AddReportsAsync(Measured, random, pdqs, triage: false);
    }

    /// <summary>Submits and processes reports (synthetic hashes); triages them too when asked, leaving only their triage jobs otherwise.</summary>
    private async Task AddReportsAsync(int count, Random random, List<byte[]> pdqs, bool triage)
    {
        var submitter = Guid.NewGuid();
        var start = pdqs.Count / 2;
        var results = new Dictionary<Guid, List<FileResult>>();
        for (var i = 0; i < count; i++)
        {
            var n = start + i;
            var submission = new ReportSubmission
            {
                ReportedPerson = new ReportedPerson { Emails = [$"person-{n / 5}@example.org"] },
                Files = [new SubmittedFile { Part = "a" }, new SubmittedFile { Part = "b" }],
            };
            var files = new[] { new NewFile(Guid.NewGuid(), 0, "a.jpg", null, 1, [0], null), new NewFile(Guid.NewGuid(), 1, "b.jpg", null, 1, [0], null) };
            var report = new NewReport(Guid.NewGuid(), submission, submitter, null, TimeProvider.System.GetUtcNow(), files);
            await _store.Reports.SubmitAsync(report, new AuditEntryDraft("bench", "report.submit", "report/" + report.Id, null, null));
            var fileResults = new List<FileResult>();
            foreach (var file in files)
            {
                byte[] pdq;
                if (pdqs.Count > 0 && random.Next(10) == 0)
                {
                    // A near-copy: an earlier image with a few bits flipped.
                    pdq = (byte[])pdqs[random.Next(pdqs.Count)].Clone();
                    for (var bit = 0; bit < 8; bit++)
                    {
                        var at = random.Next(256);
                        pdq[at / 8] ^= (byte)(1 << (at % 8));
                    }
                }
                else
                {
                    pdq = new byte[32];
                    random.NextBytes(pdq);
                }

                pdqs.Add(pdq);
                var digest = new byte[32];
                random.NextBytes(digest);
                fileResults.Add(new FileResult
                {
                    FileId = file.Id,
                    State = FileState.Hashed,
                    Pdq = Convert.ToHexStringLower(pdq),
                    PdqQuality = 100,
                    Sha256 = Convert.ToHexStringLower(digest),
                    Md5 = Convert.ToHexStringLower(digest.AsSpan(0, 16)),
                });
            }

            results[report.Id] = fileResults;
        }

        // The processing jobs are the oldest: each completion leaves a triage job behind, leased after them.
        for (var i = 0; i < count; i++)
        {
            var job = await _store.Jobs.TryLeaseAsync("bench", TimeSpan.FromMinutes(10)) ?? throw new InvalidOperationException("no job");
            if (job.Kind != JobKinds.ProcessReport)
            {
                throw new InvalidOperationException($"expected a processing job, got {job.Kind}");
            }

            await _store.Jobs.CompleteReportAsync(job, results[job.SubjectId]);
        }

        if (triage)
        {
            await TriageReport();
        }
    }
}
