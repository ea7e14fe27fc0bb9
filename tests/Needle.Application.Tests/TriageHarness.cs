using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Processing;
using Needle.Application.Review;
using Needle.Application.Triage;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Matching.Lists;

namespace Needle.Application.Tests;

/// <summary>
/// The whole triage pipeline on a real store (SQLite or PostgreSQL): intake, report processing, triage jobs, decisions and false
/// positives, run job by job on a fake clock (no background workers), so a test says exactly when jobs run.
/// </summary>
internal sealed class TriageHarness : IAsyncDisposable
{
    public static readonly Guid Submitter = Guid.Parse("0195a000-0000-7000-8000-000000000002");
    public const string Analyst = "analyst-1";

    private readonly bool _ownsStore;

    private TriageHarness(TestStore test, HashListService matchers, ScoringOptions options, Needle.Robust.RobustFeatureExtractor? robust = null, bool ownsStore = true)
    {
        _ownsStore = ownsStore;
        Test = test;
        Matchers = matchers;
        Options = options;
        Intake = new ReportIntake(test.Store, test.Protector, test.Time, new IntakeOptions());
        Index = new NearDuplicateMediaIndex(test.Store.Triage, options);
        var processing = new ProcessorOptions();
        if (robust is not null)
        {
            // The robust tier as `needle serve` runs it: features stored by processing, robust links in triage.
            matchers.UseRobust(robust);
            Similar = new SimilarMediaIndex(test.Store.Robust, robust.Model.Dimension, robust.Options, () => robust.Model.ModelId);
        }

        var mirrored = Similar is null ? null : new MirroredFeatureReader(test.Store.Reports, test.Protector, processing.Decode, Similar.Options, test.Time);
        Triage = new TriageProcessor(test.Store, matchers, Index, options, test.Time, processing, Similar, mirrored);
        Dispatcher = new JobDispatcher(test.Store.Jobs, new ReportProcessor(test.Store, matchers, test.Protector, test.Time, processing), Triage, processing);
        Decisions = new DecisionService(test.Store, matchers, options, test.Time);
        FalsePositives = new FalsePositiveService(test.Store, matchers, options, test.Time);
    }

    public TestStore Test { get; }

    public INeedleStore Store => Test.Store;

    public HashListService Matchers { get; }

    public ScoringOptions Options { get; }

    public ReportIntake Intake { get; }

    public NearDuplicateMediaIndex Index { get; }

    /// <summary>The robust tier's descriptor column when the harness runs the robust tier, else null.</summary>
    public SimilarMediaIndex? Similar { get; }

    public TriageProcessor Triage { get; }

    public JobDispatcher Dispatcher { get; }

    public DecisionService Decisions { get; }

    public FalsePositiveService FalsePositives { get; }

    public static async Task<TriageHarness> CreateAsync(StoreBackend backend, ScoringOptions? options = null, Needle.Robust.RobustFeatureExtractor? robust = null)
    {
        var test = await TestStore.CreateAsync(backend);
        var matchers = await HashListService.LoadAsync(test.Store.Lists, test.Time);
        return new TriageHarness(test, matchers, options ?? ScoringOptions.Default, robust);
    }

    /// <summary>Another node on <paramref name="test"/>'s store (left open when this one is disposed), say after a model change.</summary>
    public static async Task<TriageHarness> CreateOnAsync(TestStore test, Needle.Robust.RobustFeatureExtractor? robust = null)
    {
        var matchers = await HashListService.LoadAsync(test.Store.Lists, test.Time);
        return new TriageHarness(test, matchers, ScoringOptions.Default, robust, ownsStore: false);
    }

    /// <summary>A known list holding the PDQ and MD5 of <paramref name="images"/> (as a hash list provider would ship them).</summary>
    public async Task<HashList> KnownListAsync(string name, params byte[][] images)
    {
        await Matchers.CreateListAsync(name, HashListKind.Known, null, "admin");
        var hasher = new Needle.Hashing.MediaFileHasher(
            new Needle.Hashing.MediaHashOptions { Algorithms = Needle.Hashing.HashAlgorithms.Pdq | Needle.Hashing.HashAlgorithms.Md5 }, new Needle.Hashing.ImageDecoder());
        var entries = new List<HashListEntry>();
        for (var i = 0; i < images.Length; i++)
        {
            var hashed = hasher.HashBytes(images[i], $"known-{i}", CancellationToken.None);
            Assert.True(hashed.Succeeded, hashed.Error);
            entries.Add(new HashListEntry(SignalTypes.Pdq, hashed.Pdq!.Value.Hash.ToString()) { Label = $"{name}-{i}", Category = "1" });
            entries.Add(new HashListEntry(SignalTypes.Md5, hashed.Md5!) { Label = $"{name}-{i}", Category = "1" });
        }

        await Matchers.AddEntriesAsync(name, entries, "admin");
        return Matchers.FindList(name)!;
    }

    /// <summary>Submits a report with these images (as parts f0, f1...), then runs every job due (processing, triage, scores).</summary>
    public async Task<StoredReport> SubmitAndRunAsync(ReportSubmission submission, params byte[][] images)
    {
        var media = images.Select((bytes, i) => new IncomingMedia($"f{i}", $"image-{i}.jpg", null, bytes)).ToList();
        var submitted = await Intake.SubmitAsync(submission, media, Submitter, null, null);
        Test.Time.Advance(TimeSpan.FromSeconds(1));
        await RunJobsAsync();
        return (await Store.Reports.GetAsync(submitted.ReportId))!;
    }

    public Task<StoredReport> SubmitAndRunAsync(params byte[][] images) => SubmitAndRunAsync(new ReportSubmission(), images);

    /// <summary>Runs jobs until none is due; fails the test when one fails (a failed job is never silently retried later).</summary>
    public async Task RunJobsAsync()
    {
        for (var i = 0; i < 1000; i++)
        {
            var job = await Store.Jobs.TryLeaseAsync("test-worker", TimeSpan.FromMinutes(2));
            if (job is null)
            {
                return;
            }

            var outcome = await Dispatcher.ProcessAsync(job);
            Assert.True(outcome == ProcessOutcome.Completed, $"{job.Kind} job for {job.SubjectId}: {outcome}");
        }

        Assert.Fail("The jobs never ran out.");
    }

    public async Task<PriorityScore> ScoreAsync(Guid reportId) =>
        await Store.Triage.GetScoreAsync(reportId) ?? throw new InvalidOperationException($"report {reportId} has no score");

    public async ValueTask DisposeAsync()
    {
        Index.Dispose();
        Similar?.Dispose();
        Matchers.Dispose();
        if (_ownsStore)
        {
            await Test.DisposeAsync();
        }
    }
}
