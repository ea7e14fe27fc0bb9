using Needle.Application.Intake;
using Needle.Application.Processing;
using Needle.Application.Triage;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Triage;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class TriageProcessorTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task UnknownMediaOutranksKnownMediaAndAnEscalatedReportOutranksBoth()
    {
        await using var h = await CreateHarnessAsync();
        var knownImage = TestImages.Generated(1);
        await h.KnownListAsync("provider", knownImage);

        var unknown = await h.SubmitAndRunAsync(TestImages.Generated(2));
        var known = await h.SubmitAndRunAsync(knownImage);
        var escalated = await h.SubmitAndRunAsync(new ReportSubmission { Escalate = true, EscalationReason = "the child is named" }, knownImage);

        var queue = await h.Store.Triage.QueueAsync(new QueueQuery(), h.Test.Time.GetUtcNow());
        Assert.Equal([escalated.Id, unknown.Id, known.Id], queue.Items.Select(i => i.Report.Id));
        var scores = queue.Items.ToDictionary(i => i.Report.Id, i => i.Score);
        Assert.Contains(scores[unknown.Id].Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);
        Assert.Contains(scores[known.Id].Reasons, r => r.Code == ReportPrioritizer.KnownMedia);
        Assert.DoesNotContain(scores[known.Id].Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);
        Assert.Equal(ReportPrioritizer.Escalated, scores[escalated.Id].Reasons[0].Code);
        Assert.All(queue.Items, i => Assert.Equal(ReviewState.AwaitingReview, i.Score.State));
        Assert.Equal(0, await h.Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task TwoReportsSharingAnEmailAreLinkedWithTheReasonAndTheEarlierOneIsRescored()
    {
        await using var h = await CreateHarnessAsync();
        var first = await h.SubmitAndRunAsync(
            new ReportSubmission { ReportedPerson = new ReportedPerson { Emails = ["Reported.Person@Example.org"] } }, TestImages.Generated(10));
        Assert.DoesNotContain((await h.ScoreAsync(first.Id)).Reasons, r => r.Code == ReportPrioritizer.LinkedReports);

        var second = await h.SubmitAndRunAsync(
            new ReportSubmission { ReportedPerson = new ReportedPerson { Emails = [" reported.person@example.ORG "] } }, TestImages.Generated(11));

        var link = Assert.Single(await h.Store.Triage.GetLinksAsync(second.Id));
        Assert.Equal((second.Id, first.Id, LinkKind.Email, "reported.person@example.org"), (link.ReportId, link.OtherReportId, link.Kind, link.Value));
        var fromFirst = Assert.Single(await h.Store.Triage.GetLinksAsync(first.Id));
        Assert.Equal((first.Id, second.Id, LinkKind.Email), (fromFirst.ReportId, fromFirst.OtherReportId, fromFirst.Kind));

        // Both scores know about the link: the new report's at triage, the earlier one's through the score job it asked for.
        foreach (var id in new[] { first.Id, second.Id })
        {
            var reason = Assert.Single((await h.ScoreAsync(id)).Reasons, r => r.Code == ReportPrioritizer.LinkedReports);
            Assert.Equal(40, reason.Weight);
            Assert.Contains("1 other report", reason.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TwoReportsSharingANearDuplicateImageAreLinkedAndBundled()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(20, 640, 480);
        var first = await h.SubmitAndRunAsync(image);
        var second = await h.SubmitAndRunAsync(TestImages.Generated(21), TestImages.Resized(image, 300, 225, quality: 60));

        var link = Assert.Single(await h.Store.Triage.GetLinksAsync(second.Id));
        Assert.Equal(LinkKind.SimilarMedia, link.Kind);
        Assert.Equal(first.Id, link.OtherReportId);
        Assert.Equal(second.Files.Single(f => f.Ordinal == 1).Id, link.FileId);
        Assert.Equal(first.Files[0].Id, link.OtherFileId);
        Assert.InRange(link.Distance!.Value, 0, 31);
        Assert.Equal($"pdq:{link.Distance}", link.Value);
        Assert.NotEqual(first.Files[0].Sha256, second.Files.Single(f => f.Ordinal == 1).Sha256);

        Assert.Equal([first.Id, second.Id], (await h.Store.Triage.GetBundleAsync(second.Id, 10)).Order());

        // Viral content links strangers: a media link does not raise the score as a person link does.
        Assert.DoesNotContain((await h.ScoreAsync(second.Id)).Reasons, r => r.Code == ReportPrioritizer.LinkedReports);
    }

    [Fact]
    public async Task ASecondCopyOfADecidedFileIsResolvedAutomaticallyAndCounted()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(30);
        var first = await h.SubmitAndRunAsync(image);
        var decided = await h.Decisions.DecideAsync(first.Files[0].Id, DecisionCategory.ExploitativeOrAgeDifficult, "age difficult", false, TriageHarness.Analyst, "192.0.2.7");
        await h.RunJobsAsync();

        var second = await h.SubmitAndRunAsync(image);

        var auto = (await h.Store.Triage.GetCurrentDecisionsAsync(second.Id))[second.Files[0].Id];
        Assert.Equal(DecisionSource.SameHash, auto.Source);
        Assert.Equal(DecisionCategory.ExploitativeOrAgeDifficult, auto.Category);
        Assert.Equal(decided.Decision.Id, auto.BasedOn);
        Assert.Equal(first.Files[0].Id, auto.BasedOnFileId);
        Assert.Equal("sha256", auto.BasedOnReason);
        Assert.Equal(TriageProcessor.SystemActor, auto.Actor);

        // Not put in front of an analyst again: every file decided elsewhere, so it is closed as informational.
        var score = await h.ScoreAsync(second.Id);
        Assert.Equal(ReviewState.Informational, score.State);
        var queue = await h.Store.Triage.QueueAsync(new QueueQuery(), h.Test.Time.GetUtcNow());
        Assert.DoesNotContain(queue.Items, i => i.Report.Id == second.Id);

        var stats = await h.Store.Triage.GetDecisionStatisticsAsync();
        Assert.Equal((2L, 2L, 1L, 1L), (stats.ProcessedFiles, stats.DecidedFiles, stats.DecidedByAnalyst, stats.DecidedAutomatically));
        Assert.Equal(0.5, stats.AutoResolvedShare);
    }

    [Fact]
    public async Task TwoReportsSharingAKeyTriagedAtTheSameTimeAreStillLinked()
    {
        await using var h = await CreateHarnessAsync();
        var person = new ReportSubmission { ReportedPerson = new ReportedPerson { EspUserIds = ["user-77"] } };
        var submitted = new List<Guid>();
        foreach (var seed in new[] { 42, 43 })
        {
            submitted.Add((await h.Intake.SubmitAsync(person, [new IncomingMedia("f0", "a.png", null, TestImages.Generated(seed))], TriageHarness.Submitter, null, null)).ReportId);
        }

        // Both processed; then both triage jobs leased and computed before either is stored, as two workers would.
        for (var i = 0; i < 2; i++)
        {
            var process = await h.Store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(2));
            Assert.Equal(ProcessOutcome.Completed, await h.Dispatcher.ProcessAsync(process!));
        }

        var first = await h.Store.Jobs.TryLeaseAsync("w1", TimeSpan.FromMinutes(2));
        var second = await h.Store.Jobs.TryLeaseAsync("w2", TimeSpan.FromMinutes(2));
        Assert.Equal(JobKinds.TriageReport, first!.Kind);
        Assert.Equal(JobKinds.TriageReport, second!.Kind);
        var firstOutcome = await h.Triage.ComputeTriageAsync(first.SubjectId);
        var secondOutcome = await h.Triage.ComputeTriageAsync(second.SubjectId);
        Assert.Empty(firstOutcome.Links);
        Assert.Empty(secondOutcome.Links);
        Assert.True(await h.Triage.CompleteTriageAsync(first, firstOutcome, CancellationToken.None));
        Assert.True(await h.Triage.CompleteTriageAsync(second, secondOutcome, CancellationToken.None));

        // The second look found the other report and asked for a triage again.
        await h.RunJobsAsync();
        var link = Assert.Single(await h.Store.Triage.GetLinksAsync(submitted[0]));
        Assert.Equal((submitted[1], LinkKind.EspUserId, "user-77"), (link.OtherReportId, link.Kind, link.Value));
        Assert.Contains((await h.ScoreAsync(submitted[0])).Reasons, r => r.Code == ReportPrioritizer.LinkedReports);
    }

    [Fact]
    public async Task AScoreJobBeforeTriageLeavesTheReportOutOfTheQueueUntilItsTriage()
    {
        await using var h = await CreateHarnessAsync();
        var submitted = await h.Intake.SubmitAsync(new ReportSubmission(), [new IncomingMedia("f0", "a.png", null, TestImages.Generated(44))], TriageHarness.Submitter, null, null);
        var process = await h.Store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.Completed, await h.Dispatcher.ProcessAsync(process!));

        // A list change asks for open reports to be rescored while this one's triage job still waits.
        Assert.True(await h.Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        var triage = await h.Store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(2));
        Assert.Equal(JobKinds.TriageReport, triage!.Kind);
        var rescore = await h.Store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(2));
        Assert.Equal(ProcessOutcome.Completed, await h.Dispatcher.ProcessAsync(rescore!));
        var score = await h.Store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(2));
        Assert.Equal((JobKinds.ScoreReport, submitted.ReportId), (score!.Kind, score.SubjectId));
        Assert.Equal(ProcessOutcome.Completed, await h.Dispatcher.ProcessAsync(score));

        Assert.Equal(ReviewState.Untriaged, (await h.ScoreAsync(submitted.ReportId)).State);
        Assert.Empty((await h.Store.Triage.QueueAsync(new QueueQuery(), h.Test.Time.GetUtcNow())).Items);

        Assert.Equal(ProcessOutcome.Completed, await h.Dispatcher.ProcessAsync(triage));
        Assert.Equal(ReviewState.AwaitingReview, (await h.ScoreAsync(submitted.ReportId)).State);
        Assert.Equal([submitted.ReportId], (await h.Store.Triage.QueueAsync(new QueueQuery(), h.Test.Time.GetUtcNow())).Items.Select(i => i.Report.Id));
    }

    [Fact]
    public async Task OpenReportsAreRescoredWithTheListsAsTheyAreAfterAListChange()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(45);
        var report = await h.SubmitAndRunAsync(image);
        Assert.Contains((await h.ScoreAsync(report.Id)).Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);

        // A provider's list now holds the image: what the list endpoints do after a change.
        var list = await h.KnownListAsync("late-provider", image);
        Assert.True(await h.Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        await h.RunJobsAsync();
        var known = await h.ScoreAsync(report.Id);
        Assert.Contains(known.Reasons, r => r.Code == ReportPrioritizer.KnownMedia);
        Assert.DoesNotContain(known.Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);

        // Entries disabled again: unknown again.
        foreach (var entry in list.Entries.ToList())
        {
            await h.Matchers.SetEntryEnabledAsync("late-provider", entry.Id, false, "admin");
        }

        Assert.True(await h.Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        await h.RunJobsAsync();
        Assert.Contains((await h.ScoreAsync(report.Id)).Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);
    }

    [Fact]
    public async Task ARetriagedReportStoresItsLinksOnce()
    {
        await using var h = await CreateHarnessAsync();
        var person = new ReportSubmission { ReportedPerson = new ReportedPerson { ScreenNames = ["night_owl"] } };
        await h.SubmitAndRunAsync(person, TestImages.Generated(40));
        var second = await h.SubmitAndRunAsync(person, TestImages.Generated(41));

        await h.Store.Jobs.EnqueueAsync(JobKinds.TriageReport, second.Id);
        await h.RunJobsAsync();

        var link = Assert.Single(await h.Store.Triage.GetLinksAsync(second.Id));
        Assert.Equal((LinkKind.ScreenName, "night_owl"), (link.Kind, link.Value));
    }
}

public sealed class TriageProcessorTests_on_Sqlite() : TriageProcessorTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class TriageProcessorTests_on_Postgres(PostgresServer server) : TriageProcessorTests(StoreBackend.Postgres(server));
