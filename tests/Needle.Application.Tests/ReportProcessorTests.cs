using System.Security.Cryptography;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Application.Processing;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Matching.Lists;
using Needle.Testing;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class ReportProcessorTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private static readonly Guid Submitter = Guid.Parse("0195a000-0000-7000-8000-000000000002");

    private static IncomingMedia Media(string part, string file) =>
        new(part, Path.GetFileName(file), null, File.ReadAllBytes(TestPaths.PdqFile(file)));

    private static byte[] Noise()
    {
        // A fixed text prefix: random bytes alone can look like an image header now and then (two zero bytes start a
        // WBMP, "BM" a BMP), which made this test fail about once in 256 runs.
        var bytes = RandomNumberGenerator.GetBytes(4096);
        "random noise, not an image"u8.CopyTo(bytes);
        return bytes;
    }

    private static async Task<HashListService> KnownPhotosAsync(TestStore t)
    {
        var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("known-photos", HashListKind.Known, null, "admin");
        await host.AddEntriesAsync("known-photos", TestLists.Import(TestLists.PhotoCsv("p03_flower.png", "p08_video_frame.png")), "admin");
        return host;
    }

    [Fact]
    public async Task HashesAndMatchesEveryFile()
    {
        await using var t = await CreateStoreAsync();
        using var host = await KnownPhotosAsync(t);
        var noise = Noise();
        await host.CreateListAsync("known-digests", HashListKind.Known, null, "admin");
        await host.AddEntriesAsync("known-digests", [new HashListEntry(SignalTypes.Md5, Convert.ToHexString(MD5.HashData(noise))) { Label = "noise-1" }], "admin");
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var photo = Media("photo", "photos/p01_keong_macan.png");
        var submitted = await intake.SubmitAsync(
            new ReportSubmission(),
            [photo, Media("copy", "variants/p08__jpeg_q50.jpg"), new IncomingMedia("noise", "noise.bin", null, noise)],
            Submitter, null, null);
        var processor = new ReportProcessor(t.Store, host, t.Protector, t.Time, new ProcessorOptions());
        t.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.True(await processor.ProcessNextAsync("worker-1"));

        // What is left is the report's triage job, enqueued with its completion (not this processor's to run).
        Assert.Equal(JobKinds.TriageReport, (await t.Store.Jobs.TryLeaseAsync("triage", TimeSpan.FromMinutes(5)))?.Kind);
        Assert.Null(await t.Store.Jobs.TryLeaseAsync("triage", TimeSpan.FromMinutes(5)));

        var report = await t.Store.Reports.GetAsync(submitted.ReportId);
        Assert.NotNull(report);
        Assert.Equal(ReportStatus.Processed, report.Status);
        Assert.Equal(t.Time.GetUtcNow(), report.ProcessedAt);
        var files = report.Files.OrderBy(static f => f.Ordinal).ToList();

        var first = files[0];
        Assert.Equal(FileState.Hashed, first.State);
        Assert.Equal("9b9165a530cb18722499336df9d3a6db873cbc9b624f30f27859a5870fd22c38", first.Pdq);
        Assert.Equal(100, first.PdqQuality);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(photo.Bytes)), first.Md5);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(photo.Bytes)), first.Sha1);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(photo.Bytes)), first.Sha256);
        Assert.Equal("png", first.Format);
        Assert.True(first.Width > 0 && first.Height > 0);
        Assert.Empty(first.Matches);

        var copy = files[1];
        Assert.Equal(FileState.Hashed, copy.State);
        Assert.Equal("jpeg", copy.Format);
        var match = Assert.Single(copy.Matches);
        Assert.Equal("known-photos", match.ListName);
        Assert.Equal("photos/p08_video_frame.png", match.Label);
        Assert.Equal("pdq", match.SignalType);
        Assert.InRange(match.Distance, 1, 31);
        Assert.Equal("original", match.Transform);
        Assert.False(match.AllowList);

        var unreadable = files[2];
        Assert.Equal(FileState.Unreadable, unreadable.State);
        Assert.Contains("not a recognised image format", unreadable.Error, StringComparison.Ordinal);
        Assert.Null(unreadable.Pdq);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(noise)), unreadable.Md5);
        var byDigest = Assert.Single(unreadable.Matches);
        Assert.Equal(("known-digests", "noise-1", "md5", 0.0), (byDigest.ListName, byDigest.Label, byDigest.SignalType, byDigest.Distance));

        Assert.Equal(1, await t.Store.Jobs.CountOpenAsync()); // the triage job
    }

    [Fact]
    public async Task MatchesRotatedAndFlippedCopiesThroughTheDihedralHashes()
    {
        await using var t = await CreateStoreAsync();
        using var host = await KnownPhotosAsync(t);
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submitted = await intake.SubmitAsync(new ReportSubmission(), [Media("flipped", "variants/p08__flip_h.png")], Submitter, null, null);

        Assert.True(await new ReportProcessor(t.Store, host, t.Protector, t.Time, new ProcessorOptions()).ProcessNextAsync("w"));

        var file = Assert.Single((await t.Store.Reports.GetAsync(submitted.ReportId))!.Files);
        var match = Assert.Single(file.Matches);
        Assert.Equal("photos/p08_video_frame.png", match.Label);
        Assert.NotEqual("original", match.Transform);
    }

    [Fact]
    public async Task AJobRunTwiceStoresItsResultsOnce()
    {
        await using var t = await CreateStoreAsync();
        using var host = await KnownPhotosAsync(t);
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submitted = await intake.SubmitAsync(new ReportSubmission(), [Media("copy", "variants/p08__jpeg_q50.jpg")], Submitter, null, null);
        var options = new ProcessorOptions { Lease = TimeSpan.FromMinutes(2) };
        var processor = new ReportProcessor(t.Store, host, t.Protector, t.Time, options);

        // Worker 1 leases the job and stalls past its lease; worker 2 takes the job over and completes it.
        var stalled = await t.Store.Jobs.TryLeaseAsync("worker-1", options.Lease);
        Assert.NotNull(stalled);
        t.Time.Advance(options.Lease + TimeSpan.FromSeconds(1));
        Assert.True(await processor.ProcessNextAsync("worker-2"));

        // Worker 1 wakes up and finishes: its completion is refused.
        Assert.Equal(ProcessOutcome.LeaseLost, await processor.ProcessAsync(stalled));

        // Only the report's triage job is left: the processing job ran once.
        Assert.Equal(JobKinds.TriageReport, (await t.Store.Jobs.TryLeaseAsync("triage", options.Lease))?.Kind);
        Assert.Null(await t.Store.Jobs.TryLeaseAsync("triage", options.Lease));

        var report = await t.Store.Reports.GetAsync(submitted.ReportId);
        Assert.NotNull(report);
        Assert.Equal(ReportStatus.Processed, report.Status);
        var file = Assert.Single(report.Files);
        Assert.Single(file.Matches);
        Assert.Equal(1, await t.Store.Jobs.CountOpenAsync()); // the triage job, leased above
    }

    [Fact]
    public async Task AHashesOnlyReportMatchesByMd5()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        const string Md5 = "0123456789abcdef0123456789abcdef";
        await host.CreateListAsync("digests", HashListKind.Known, null, "admin");
        await host.AddEntriesAsync("digests", [new HashListEntry(SignalTypes.Md5, Md5) { Label = "item-7", Category = "A1" }], "admin");
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submitted = await intake.SubmitAsync(
            new ReportSubmission
            {
                Files =
                [
                    new SubmittedFile { OriginalName = "gone.jpg", Hashes = new ReporterHashes { Md5 = Md5.ToUpperInvariant() } },
                    new SubmittedFile { Hashes = new ReporterHashes { Sha1 = new string('a', 40) } },
                ],
            },
            [], Submitter, null, null);

        Assert.True(await new ReportProcessor(t.Store, host, t.Protector, t.Time, new ProcessorOptions()).ProcessNextAsync("w"));

        var report = await t.Store.Reports.GetAsync(submitted.ReportId);
        Assert.Equal(ReportStatus.Processed, report!.Status);
        var files = report.Files.OrderBy(static f => f.Ordinal).ToList();
        Assert.All(files, static f => Assert.Equal(FileState.HashesOnly, f.State));
        var match = Assert.Single(files[0].Matches);
        Assert.Equal(("digests", "item-7", "A1", "md5", Md5, 0.0), (match.ListName, match.Label, match.Category, match.SignalType, match.Value, match.Distance));
        Assert.Empty(files[1].Matches);
    }

    [Fact]
    public async Task AFailedJobIsReleasedAndRetried()
    {
        await using var t = await CreateStoreAsync();
        using var host = await KnownPhotosAsync(t);
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submitted = await intake.SubmitAsync(new ReportSubmission(), [Media("copy", "variants/p08__jpeg_q50.jpg")], Submitter, null, null);
        var options = new ProcessorOptions { RetryAfter = TimeSpan.FromSeconds(30) };

        // A processor with the wrong media key cannot decrypt: the job fails and goes back to the queue.
        var misconfigured = new ReportProcessor(t.Store, host, MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32)), t.Time, options);
        var job = await t.Store.Jobs.TryLeaseAsync("bad", options.Lease);
        Assert.Equal(ProcessOutcome.Failed, await misconfigured.ProcessAsync(job!));
        Assert.Equal(ReportStatus.Received, (await t.Store.Reports.GetAsync(submitted.ReportId))!.Status);
        Assert.Equal(1, await t.Store.Jobs.CountOpenAsync());

        var processor = new ReportProcessor(t.Store, host, t.Protector, t.Time, options);
        Assert.False(await processor.ProcessNextAsync("good")); // waiting out RetryAfter
        t.Time.Advance(options.RetryAfter);
        Assert.True(await processor.ProcessNextAsync("good"));
        Assert.Equal(ReportStatus.Processed, (await t.Store.Reports.GetAsync(submitted.ReportId))!.Status);
    }
}

public sealed class ReportProcessorTests_on_Sqlite() : ReportProcessorTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ReportProcessorTests_on_Postgres(PostgresServer server) : ReportProcessorTests(StoreBackend.Postgres(server));
