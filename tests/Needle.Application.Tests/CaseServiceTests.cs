using System.Text.Json;
using Needle.Application.Cases;
using Needle.Application.Triage;
using Needle.Core.Cases;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Triage;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>Case work and the export package between two stores of the same backend (two servers' databases).</summary>
public abstract class CaseServiceTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private const string Passphrase = "a long enough passphrase";
    private static readonly Guid Importer = Guid.Parse("0195a000-0000-7000-8000-0000000000aa");

    private static CaseService Cases(TriageHarness h) => new(h.Store, h.Matchers, h.Test.Protector, h.Test.Time, 64L * 1024 * 1024);

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, DocumentJson.Options);

    [Fact]
    public async Task AnExportedReportImportsIntoAnotherStoreWithItsHashesDecisionsEvidenceNotesOutcomesAndMedia()
    {
        await using var from = await CreateHarnessAsync();
        await using var to = await CreateHarnessAsync();
        var images = new[] { TestImages.Generated(61), TestImages.Generated(62) };
        var report = await from.SubmitAndRunAsync(new ReportSubmission { ExternalId = "export-1", ReportedPerson = new ReportedPerson { Emails = ["p@example.org"] } }, images);
        await from.Decisions.DecideAsync(report.Files[0].Id, DecisionCategory.CgiOrAnimation, null, false, TriageHarness.Analyst, null);
        from.Test.Time.Advance(TimeSpan.FromMinutes(1));
        await from.Decisions.DecideAsync(report.Files[0].Id, DecisionCategory.ChildAbuseMaterial, "second look", false, TriageHarness.Analyst, null);
        var cases = Cases(from);
        await cases.AddNoteAsync(report.Id, "Platform contacted.", TriageHarness.Analyst, null);
        await cases.RecordOutcomeAsync(report.Id, OutcomeKind.Referral, "Europol", "ref 7", TriageHarness.Analyst, null);

        var package = await cases.ExportAsync(report.Id, includeMedia: true, Passphrase, TriageHarness.Analyst, "192.0.2.7");
        Assert.NotNull(package);
        Assert.Equal(2, package.MediaFiles);
        Assert.Contains(await from.Test.AuditEntriesAsync(), e => e.Action == "report.export" && e.Actor == TriageHarness.Analyst);

        var imported = await Cases(to).ImportAsync(package.Content, Passphrase, Importer, null);
        Assert.Equal(new ImportedPackage(report.Id, 2, 2, 2), imported);

        var copy = (await to.Store.Reports.GetAsync(report.Id))!;
        var original = (await from.Store.Reports.GetAsync(report.Id))!;
        Assert.Equal(Json(original.Submission), Json(copy.Submission));
        Assert.Equal(Json(original.Jurisdiction), Json(copy.Jurisdiction));
        Assert.Equal(original.ReceivedAt, copy.ReceivedAt);
        Assert.Equal(
            original.Files.Select(f => (f.Id, f.Md5, f.Sha1, f.Sha256, f.Pdq, f.PdqQuality, Json(f.Clues))),
            copy.Files.Select(f => (f.Id, f.Md5, f.Sha1, f.Sha256, f.Pdq, f.PdqQuality, Json(f.Clues))));
        for (var i = 0; i < images.Length; i++)
        {
            var media = (await to.Store.Reports.GetMediaAsync(copy.Files[i].Id))!;
            Assert.Equal(images[i], to.Test.Protector.Unprotect(media.EncryptedBytes, copy.Files[i].Id));
        }

        var before = await from.Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id);
        var after = await to.Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id);
        Assert.Equal(before.Select(d => (d.Category, d.Source, d.Actor, d.At, d.Note)), after.Select(d => (d.Category, d.Source, d.Actor, d.At, d.Note)));
        Assert.Equal(after[0].Id, after[1].Revises);
        Assert.Equal("Platform contacted.", Assert.Single(await to.Store.Cases.GetNotesAsync(report.Id)).Text);
        Assert.Equal(("Europol", "ref 7"), (Assert.Single(await to.Store.Cases.GetOutcomesAsync(report.Id)).Recipient, (await to.Store.Cases.GetOutcomesAsync(report.Id))[0].Note));
        Assert.Contains(await to.Test.AuditEntriesAsync(), e => e.Action == "report.import" && e.Actor == Importer.ToString("N"));

        // Triaged on the second store like any report.
        await to.RunJobsAsync();
        var score = await to.ScoreAsync(report.Id);
        Assert.Contains(score.Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);

        await Assert.ThrowsAsync<ReportAlreadyImportedException>(() => Cases(to).ImportAsync(package.Content, Passphrase, Importer, null));
    }

    [Fact]
    public async Task WithoutItsMediaAnImportedFileIsUnassessableAndAWrongPassphraseIsRefused()
    {
        await using var from = await CreateHarnessAsync();
        await using var to = await CreateHarnessAsync();
        var report = await from.SubmitAndRunAsync(TestImages.Generated(71));
        var cases = Cases(from);

        var sealedPackage = (await cases.ExportAsync(report.Id, includeMedia: false, Passphrase, TriageHarness.Analyst, null))!;
        Assert.Equal(0, sealedPackage.MediaFiles);
        var wrong = await Assert.ThrowsAsync<PackageRejectedException>(() => Cases(to).ImportAsync(sealedPackage.Content, "another passphrase entirely", Importer, null));
        Assert.Contains("passphrase is wrong", wrong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<Intake.ReportValidationException>(() => cases.ExportAsync(report.Id, includeMedia: true, null, TriageHarness.Analyst, null));
        await Assert.ThrowsAsync<Intake.ReportValidationException>(() => cases.ExportAsync(report.Id, includeMedia: true, "short", TriageHarness.Analyst, null));
        Assert.Null(await to.Store.Reports.GetAsync(report.Id));

        await Cases(to).ImportAsync(sealedPackage.Content, Passphrase, Importer, null);
        await to.RunJobsAsync();
        var copy = (await to.Store.Reports.GetAsync(report.Id))!;
        Assert.False(copy.Files[0].HasMedia);
        Assert.Equal(report.Files[0].Sha256, copy.Files[0].Sha256);

        // Nothing to look at here: unassessable, not possibly new material.
        var score = await to.ScoreAsync(report.Id);
        Assert.Equal([ReportPrioritizer.Unassessable], score.Reasons.Select(r => r.Code));
    }
}

public sealed class CaseServiceTests_on_Sqlite() : CaseServiceTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class CaseServiceTests_on_Postgres(PostgresServer server) : CaseServiceTests(StoreBackend.Postgres(server));
