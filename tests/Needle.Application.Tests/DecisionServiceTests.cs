using System.Text.Json;
using Needle.Application.Review;
using Needle.Application.Triage;
using Needle.Core.Triage;
using Needle.Matching.Lists;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class DecisionServiceTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task ConfirmingAnUnknownFileMakesTheNextReportWithAResizedCopyMatchTheOrganisationsList()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(50, 640, 480);
        var first = await h.SubmitAndRunAsync(image);
        var file = first.Files[0];
        Assert.Empty(file.Matches);

        var result = await h.Decisions.DecideAsync(file.Id, DecisionCategory.ChildAbuseMaterial, "new series", false, TriageHarness.Analyst, "192.0.2.7");

        var list = h.Matchers.FindList("needle-confirmed");
        Assert.NotNull(list);
        Assert.Equal(HashListKind.Known, list.Kind);
        Assert.Equal(["pdq", "md5", "sha256"], result.OrganisationListEntries.Select(e => e.SignalType.Name));
        Assert.All(list.Entries, e =>
        {
            Assert.Equal((file.Id.ToString(), "1", true), (e.Label, e.Category, e.Enabled));
            Assert.Equal(first.Id.ToString(), e.Metadata["report"]);
            Assert.Equal(TriageHarness.Analyst, e.Metadata["actor"]);
        });
        Assert.Equal(file.Pdq, list.Entries[0].Value);

        await h.RunJobsAsync();

        var second = await h.SubmitAndRunAsync(TestImages.Resized(image, 320, 240, quality: 70));
        var match = Assert.Single(second.Files[0].Matches, m => m.SignalType == "pdq");
        Assert.Equal(("needle-confirmed", file.Id.ToString(), false), (match.ListName, match.Label, match.AllowList));
        Assert.Contains((await h.ScoreAsync(second.Id)).Reasons, r => r.Code == ReportPrioritizer.KnownMedia);

        // Deciding the same again adds nothing: the list write is idempotent.
        var again = await h.Decisions.DecideAsync(file.Id, DecisionCategory.ChildAbuseMaterial, null, false, TriageHarness.Analyst, null);
        Assert.Empty(again.OrganisationListEntries);
        Assert.Equal(3, h.Matchers.FindList("needle-confirmed")!.Entries.Count);
    }

    [Fact]
    public async Task ARevisionKeepsTheHistoryIsAuditedAndDisablesTheOrganisationsEntries()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(60);
        var report = await h.SubmitAndRunAsync(image);
        var fileId = report.Files[0].Id;

        var first = await h.Decisions.DecideAsync(fileId, DecisionCategory.ChildAbuseMaterial, "looks new", false, TriageHarness.Analyst, "192.0.2.7");
        h.Test.Time.Advance(TimeSpan.FromMinutes(5));
        var revised = await h.Decisions.DecideAsync(fileId, DecisionCategory.CgiOrAnimation, "on second look, rendered", false, "analyst-2", "192.0.2.8");

        var history = await h.Store.Triage.GetDecisionHistoryAsync(fileId);
        Assert.Equal([DecisionCategory.ChildAbuseMaterial, DecisionCategory.CgiOrAnimation], history.Select(d => d.Category));
        Assert.Null(history[0].Revises);
        Assert.Equal(first.Decision.Id, history[1].Revises);
        Assert.Equal(("analyst-2", "on second look, rendered"), (history[1].Actor, history[1].Note));
        Assert.Equal(3, revised.OrganisationListEntriesDisabled);
        Assert.All(h.Matchers.FindList("needle-confirmed")!.Entries, e => Assert.False(e.Enabled));

        var audits = (await h.Test.AuditEntriesAsync()).Where(a => a.Action == "file.decide").ToList();
        Assert.Equal(2, audits.Count);
        Assert.All(audits, a => Assert.Equal($"file/{fileId}", a.Target));
        using var details = JsonDocument.Parse(audits[1].Details!);
        Assert.Equal(3, details.RootElement.GetProperty("category").GetInt32());
        Assert.Equal("analyst", details.RootElement.GetProperty("source").GetString());
        Assert.Equal(first.Decision.Id, details.RootElement.GetProperty("revises").GetInt64());
        Assert.Equal("192.0.2.8", audits[1].RemoteAddress);
        Assert.Contains(await h.Test.AuditEntriesAsync(), a => a.Action == "list.entry.disable");

        // Back to child abuse material: the same entries are enabled again, none added.
        var back = await h.Decisions.DecideAsync(fileId, DecisionCategory.ChildAbuseMaterial, null, false, TriageHarness.Analyst, null);
        Assert.Equal(3, back.OrganisationListEntries.Count);
        Assert.Equal(3, h.Matchers.FindList("needle-confirmed")!.Entries.Count(e => e.Enabled));
    }

    [Fact]
    public async Task CopiesThatTookADecisionAutomaticallyFollowItsRevision()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(65);
        var original = await h.SubmitAndRunAsync(image);
        var fileId = original.Files[0].Id;
        await h.Decisions.DecideAsync(fileId, DecisionCategory.ExploitativeOrAgeDifficult, null, false, TriageHarness.Analyst, null);
        await h.RunJobsAsync();
        var copy = await h.SubmitAndRunAsync(image);
        Assert.Equal(DecisionCategory.ExploitativeOrAgeDifficult, (await h.Store.Triage.GetCurrentDecisionsAsync(copy.Id))[copy.Files[0].Id].Category);

        var revised = await h.Decisions.DecideAsync(fileId, DecisionCategory.NonPertinent, "a landscape after all", false, TriageHarness.Analyst, null);

        var followed = Assert.Single(revised.Carried);
        Assert.Equal((copy.Files[0].Id, DecisionSource.SameHash, revised.Decision.Id), (followed.FileId, followed.Source, followed.BasedOn));
        var current = (await h.Store.Triage.GetCurrentDecisionsAsync(copy.Id))[copy.Files[0].Id];
        Assert.Equal((DecisionCategory.NonPertinent, revised.Decision.Id), (current.Category, current.BasedOn));
        Assert.Equal(2, (await h.Store.Triage.GetDecisionHistoryAsync(copy.Files[0].Id)).Count);
    }

    [Fact]
    public async Task TheScoreIsRecomputedAfterADecision()
    {
        await using var h = await CreateHarnessAsync();
        var report = await h.SubmitAndRunAsync(TestImages.Generated(70), TestImages.Generated(71));
        Assert.Equal(ReviewState.AwaitingReview, (await h.ScoreAsync(report.Id)).State);

        await h.Decisions.DecideAsync(report.Files[0].Id, DecisionCategory.NeedsEscalation, "a face is visible", false, TriageHarness.Analyst, null);
        await h.RunJobsAsync();
        var escalated = await h.ScoreAsync(report.Id);
        Assert.Equal(ReviewState.AwaitingReview, escalated.State);
        Assert.Contains(escalated.Reasons, r => r.Code == ReportPrioritizer.NeedsEscalation);

        await h.Decisions.DecideAsync(report.Files[0].Id, DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null);
        await h.Decisions.DecideAsync(report.Files[1].Id, DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null);
        await h.RunJobsAsync();
        var reviewed = await h.ScoreAsync(report.Id);
        Assert.Equal(ReviewState.Reviewed, reviewed.State);
        Assert.DoesNotContain(reviewed.Reasons, r => r.Code is ReportPrioritizer.NeedsEscalation or ReportPrioritizer.UnknownMedia);
    }

    [Fact]
    public async Task ADecisionGoesToUndecidedCopiesAndOnRequestToNearCopiesInTheBundle()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(80, 640, 480);
        var original = await h.SubmitAndRunAsync(image);
        var exactCopy = await h.SubmitAndRunAsync(TestImages.Generated(81), image);
        var nearCopy = await h.SubmitAndRunAsync(TestImages.Resized(image, 320, 240, quality: 70));
        var exactCopyFile = exactCopy.Files.Single(f => f.Sha256 == original.Files[0].Sha256);

        var withoutBundle = await h.Decisions.DecideAsync(original.Files[0].Id, DecisionCategory.NonPertinent, null, applyToBundle: false, TriageHarness.Analyst, null);
        var copy = Assert.Single(withoutBundle.Carried);
        Assert.Equal((exactCopyFile.Id, DecisionSource.SameHash, withoutBundle.Decision.Id, "sha256"), (copy.FileId, copy.Source, copy.BasedOn, copy.BasedOnReason));
        Assert.Empty(await h.Store.Triage.GetCurrentDecisionsAsync(nearCopy.Id));

        var withBundle = await h.Decisions.DecideAsync(original.Files[0].Id, DecisionCategory.NonPertinent, "a landscape", applyToBundle: true, TriageHarness.Analyst, null);
        // The exact copy follows the new decision (a revision of the first); the near copy takes it through the bundle.
        var followed = Assert.Single(withBundle.Carried, d => d.Source == DecisionSource.SameHash);
        Assert.Equal((exactCopyFile.Id, withBundle.Decision.Id), (followed.FileId, followed.BasedOn));
        var bundled = Assert.Single(withBundle.Carried, d => d.Source == DecisionSource.Bundle);
        Assert.Equal((nearCopy.Files[0].Id, DecisionSource.Bundle, original.Files[0].Id), (bundled.FileId, bundled.Source, bundled.BasedOnFileId));
        Assert.StartsWith("bundle:pdq=", bundled.BasedOnReason, StringComparison.Ordinal);

        // The other file of the exact copy's report is not a near copy: it stays undecided.
        Assert.Single(await h.Store.Triage.GetCurrentDecisionsAsync(exactCopy.Id));
    }

    [Fact]
    public async Task AnUnknownFileOrCategoryIsRefused()
    {
        await using var h = await CreateHarnessAsync();
        await Assert.ThrowsAsync<FileNotFoundInStoreException>(() => h.Decisions.DecideAsync(Guid.NewGuid(), DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null));
        var report = await h.SubmitAndRunAsync(TestImages.Generated(90));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => h.Decisions.DecideAsync(report.Files[0].Id, (DecisionCategory)7, null, false, TriageHarness.Analyst, null));

        Assert.True(DecisionService.TryParseCategory("child-abuse-material", out var named));
        Assert.Equal(DecisionCategory.ChildAbuseMaterial, named);
        Assert.True(DecisionService.TryParseCategory("9", out var escalation));
        Assert.Equal(DecisionCategory.NeedsEscalation, escalation);
        Assert.False(DecisionService.TryParseCategory("5", out _));
        Assert.False(DecisionService.TryParseCategory("bad", out _));
    }
}

public sealed class DecisionServiceTests_on_Sqlite() : DecisionServiceTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class DecisionServiceTests_on_Postgres(PostgresServer server) : DecisionServiceTests(StoreBackend.Postgres(server));
