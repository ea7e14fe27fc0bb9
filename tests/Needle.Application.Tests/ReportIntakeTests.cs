using Needle.Application.Intake;
using Needle.Core.Reports;
using Needle.Testing;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class ReportIntakeTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private static readonly Guid Submitter = Guid.Parse("0195a000-0000-7000-8000-000000000001");

    private static IncomingMedia Photo(string part, string file = "photos/p01_keong_macan.png") =>
        new(part, Path.GetFileName(file), "image/png", File.ReadAllBytes(TestPaths.PdqFile(file)));

    [Fact]
    public async Task StoresTheReportWithEncryptedMediaAndAudits()
    {
        await using var t = await CreateStoreAsync();
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var photo = Photo("f1");
        var submission = new ReportSubmission
        {
            ExternalId = "esp-42",
            Escalate = true,
            EscalationReason = "test",
            Files =
            [
                new SubmittedFile { Part = "f1", OriginalName = "holiday.png" },
                new SubmittedFile { Hashes = new ReporterHashes { Md5 = "D41D8CD98F00B204E9800998ECF8427E" } },
            ],
        };

        var result = await intake.SubmitAsync(submission, [photo, Photo("extra", "photos/p03_flower.png")], Submitter, null, "192.0.2.7");

        Assert.True(result.Created);
        Assert.Equal(7, result.ReportId.Version);
        var report = await t.Store.Reports.GetAsync(result.ReportId);
        Assert.NotNull(report);
        Assert.Equal(ReportStatus.Received, report.Status);
        Assert.Equal(TestStore.Start, report.ReceivedAt);
        Assert.Equal(Submitter, report.SubmittedBy);
        Assert.Equal(3, report.Files.Count);
        Assert.Equal(3, report.Submission.Files.Count);

        var files = report.Files.OrderBy(static f => f.Ordinal).ToList();
        Assert.Equal("holiday.png", files[0].OriginalName);
        Assert.True(files[0].HasMedia);
        Assert.Equal(photo.Bytes.Length, files[0].Size);
        Assert.Equal(FileState.Pending, files[0].State);
        Assert.False(files[1].HasMedia);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", files[1].ReporterHashes?.Md5);
        Assert.Equal("p03_flower.png", files[2].OriginalName); // the undescribed part became a file

        var media = await t.Store.Reports.GetMediaAsync(files[0].Id);
        Assert.NotNull(media);
        Assert.NotEqual(photo.Bytes, media.EncryptedBytes);
        Assert.Equal(photo.Bytes, t.Protector.Unprotect(media.EncryptedBytes, files[0].Id));

        var audit = Assert.Single(await t.AuditEntriesAsync(), static e => e.Action == "report.submit");
        Assert.Equal($"report/{result.ReportId}", audit.Target);
        Assert.Equal(Submitter.ToString(), audit.Actor);
        Assert.Equal("192.0.2.7", audit.RemoteAddress);
        Assert.Equal(1, await t.Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task ReportsEveryProblemAtOnceAndStoresNothing()
    {
        await using var t = await CreateStoreAsync();
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions { MaxEscalationReasonLength = 10 });
        var submission = new ReportSubmission
        {
            EscalationReason = new string('x', 11),
            Files =
            [
                new SubmittedFile { Part = "missing" },
                new SubmittedFile { Part = "f1" },
                new SubmittedFile { Part = "f1" },
                new SubmittedFile { Hashes = new ReporterHashes { Md5 = "xyz", Sha256 = new string('a', 63), Pdq = "zz" } },
                new SubmittedFile(),
            ],
        };

        var e = await Assert.ThrowsAsync<ReportValidationException>(() =>
            intake.SubmitAsync(submission, [Photo("f1"), new IncomingMedia("empty", null, null, [])], Submitter, null, null));

        Assert.Contains(e.Errors, static m => m.Contains("'missing' names no media part", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("'f1' is already used", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("files[3].hashes.md5", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("files[3].hashes.sha256", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("files[3].hashes.pdq", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("files[4] has neither", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("'empty' is empty", StringComparison.Ordinal));
        Assert.Contains(e.Errors, static m => m.Contains("escalationReason", StringComparison.Ordinal));
        foreach (var error in e.Errors)
        {
            Assert.Contains(error, e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, await t.Store.Jobs.CountOpenAsync());
        Assert.Empty(await t.AuditEntriesAsync());
    }

    [Fact]
    public async Task RefusesAReportWithoutFilesOrOverTheLimits()
    {
        await using var t = await CreateStoreAsync();
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions { MaxFiles = 1, MaxFileBytes = 100 });

        var none = await Assert.ThrowsAsync<ReportValidationException>(() => intake.SubmitAsync(new ReportSubmission(), [], Submitter, null, null));
        Assert.Contains("no files", none.Message, StringComparison.Ordinal);

        var tooMany = await Assert.ThrowsAsync<ReportValidationException>(() =>
            intake.SubmitAsync(new ReportSubmission(), [new IncomingMedia("a", null, null, [1]), new IncomingMedia("b", null, null, [2])], Submitter, null, null));
        Assert.Contains("2 files; at most 1", tooMany.Message, StringComparison.Ordinal);

        var tooLarge = await Assert.ThrowsAsync<ReportValidationException>(() =>
            intake.SubmitAsync(new ReportSubmission(), [new IncomingMedia("a", null, null, new byte[101])], Submitter, null, null));
        Assert.Contains("the limit is 100", tooLarge.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ARepeatedIdempotencyKeyReturnsTheFirstReport()
    {
        await using var t = await CreateStoreAsync();
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submission = new ReportSubmission { ExternalId = "once" };

        var first = await intake.SubmitAsync(submission, [Photo("a")], Submitter, "key-1", null);
        t.Time.Advance(TimeSpan.FromSeconds(5));
        var second = await intake.SubmitAsync(submission, [Photo("a")], Submitter, "key-1", null);
        var third = await intake.SubmitAsync(submission, [Photo("a")], Submitter, "key-2", null);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.ReportId, second.ReportId);
        Assert.True(third.Created);
        Assert.NotEqual(first.ReportId, third.ReportId);
        Assert.Equal(2, await t.Store.Jobs.CountOpenAsync());
        Assert.Equal(2, (await t.AuditEntriesAsync()).Count(static e => e.Action == "report.submit"));
    }
}

public sealed class ReportIntakeTests_on_Sqlite() : ReportIntakeTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ReportIntakeTests_on_Postgres(PostgresServer server) : ReportIntakeTests(StoreBackend.Postgres(server));
