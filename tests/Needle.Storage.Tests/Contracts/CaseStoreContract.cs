using Needle.Core.Audit;
using Needle.Core.Cases;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="ICaseStore"/>: notes, assignments, outcomes and imports, each audited in its transaction.</summary>
public abstract class CaseStoreContract : StoreContract
{
    private static AuditEntryDraft Audit(string action, Guid reportId) => new("reviewer-1", action, $"report/{reportId}", null, "192.0.2.1");

    private async Task<NewReport> StoredReportAsync()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        return report;
    }

    private async Task<IReadOnlyList<AuditEntry>> AuditAsync() => await Store.Audit.ReadAsync(0, 1000);

    [Fact]
    public async Task Notes_form_a_thread_in_order_and_each_is_audited()
    {
        var report = await StoredReportAsync();
        var first = await Store.Cases.AddNoteAsync(report.Id, "reviewer-1", "Called the ESP.", Time.GetUtcNow(), Audit("report.note", report.Id));
        Time.Advance(TimeSpan.FromMinutes(3));
        var second = await Store.Cases.AddNoteAsync(report.Id, "reviewer-2", "Same user as case 12.", Time.GetUtcNow(), Audit("report.note", report.Id));

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.True(second.Id > first.Id);
        var thread = await Store.Cases.GetNotesAsync(report.Id);
        Assert.Equal(["Called the ESP.", "Same user as case 12."], thread.Select(n => n.Text));
        Assert.Equal(["reviewer-1", "reviewer-2"], thread.Select(n => n.Author));
        Assert.Equal(Time.GetUtcNow(), thread[1].At);
        Assert.Equal(2, (await AuditAsync()).Count(e => e.Action == "report.note"));

        // No report: nothing written, not even the audit entry.
        Assert.Null(await Store.Cases.AddNoteAsync(Guid.NewGuid(), "reviewer-1", "lost", Time.GetUtcNow(), Audit("report.note", Guid.Empty)));
        Assert.Equal(2, (await AuditAsync()).Count(e => e.Action == "report.note"));
        Assert.Empty(await Store.Cases.GetNotesAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task An_assignment_replaces_the_last_shows_in_the_queue_and_can_be_removed()
    {
        var report = await StoredReportAsync();
        Assert.Null(await Store.Cases.GetAssignmentAsync(report.Id));

        Assert.True(await Store.Cases.AssignAsync(report.Id, "reviewer-1", "admin-1", Time.GetUtcNow(), Audit("report.assign", report.Id)));
        Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await Store.Cases.AssignAsync(report.Id, "reviewer-2", "admin-1", Time.GetUtcNow(), Audit("report.assign", report.Id)));
        Assert.Equal(new ReportAssignment(report.Id, "reviewer-2", "admin-1", Time.GetUtcNow()), await Store.Cases.GetAssignmentAsync(report.Id));

        var queue = await Store.Triage.QueueAsync(new QueueQuery { State = ReviewState.Untriaged }, Time.GetUtcNow());
        Assert.Equal("reviewer-2", Assert.Single(queue.Items).AssignedTo);

        Assert.True(await Store.Cases.AssignAsync(report.Id, null, "admin-1", Time.GetUtcNow(), Audit("report.unassign", report.Id)));
        Assert.Null(await Store.Cases.GetAssignmentAsync(report.Id));
        Assert.Null(Assert.Single((await Store.Triage.QueueAsync(new QueueQuery { State = ReviewState.Untriaged }, Time.GetUtcNow())).Items).AssignedTo);

        Assert.False(await Store.Cases.AssignAsync(Guid.NewGuid(), "reviewer-1", "admin-1", Time.GetUtcNow(), Audit("report.assign", Guid.Empty)));
        Assert.Equal(["report.assign", "report.assign", "report.unassign"], (await AuditAsync()).Where(e => e.Action.StartsWith("report.", StringComparison.Ordinal) && e.Action != "report.submit").Select(e => e.Action));
    }

    [Fact]
    public async Task Outcomes_keep_their_history_and_the_latest_is_current()
    {
        var report = await StoredReportAsync();
        var referral = await Store.Cases.RecordOutcomeAsync(report.Id, OutcomeKind.Referral, "NCMEC", "CyberTipline 123", "reviewer-1", Time.GetUtcNow(), Audit("report.outcome", report.Id));
        Time.Advance(TimeSpan.FromDays(2));
        var closed = await Store.Cases.RecordOutcomeAsync(report.Id, OutcomeKind.Closed, null, null, "reviewer-2", Time.GetUtcNow(), Audit("report.outcome", report.Id));

        Assert.NotNull(referral);
        Assert.NotNull(closed);
        var history = await Store.Cases.GetOutcomesAsync(report.Id);
        Assert.Equal([referral, closed], history);
        Assert.Equal(("NCMEC", "CyberTipline 123"), (history[0].Recipient, history[0].Note));
        Assert.Null(await Store.Cases.RecordOutcomeAsync(Guid.NewGuid(), OutcomeKind.Closed, null, null, "r", Time.GetUtcNow(), Audit("report.outcome", Guid.Empty)));
        Assert.Equal(2, (await AuditAsync()).Count(e => e.Action == "report.outcome"));
    }

    [Fact]
    public async Task An_import_stores_the_report_processed_with_its_results_decisions_notes_and_outcomes_once()
    {
        var received = Time.GetUtcNow().AddDays(-3);
        var report = TestData.Report(received);
        var results = TestData.Results(report, TestData.Match("known")).Select(r => r with { Clues = TestData.FullClues() }).ToList();
        var mediaFile = report.Files.First(f => f.EncryptedMedia is not null);
        var jurisdiction = TestData.Jurisdiction("FR", "FR", fileId: mediaFile.Id);
        var imported = new ImportedReport
        {
            Report = report,
            ProcessedAt = received.AddMinutes(1),
            Results = results,
            Jurisdiction = jurisdiction,
            Decisions =
            [
                new NewDecision { FileId = mediaFile.Id, Category = DecisionCategory.CgiOrAnimation, Source = DecisionSource.Analyst, Actor = "far-1", At = received.AddHours(1) },
                new NewDecision { FileId = mediaFile.Id, Category = DecisionCategory.ChildAbuseMaterial, Note = "revised", Source = DecisionSource.Analyst, Actor = "far-2", At = received.AddHours(2) },
            ],
            Notes = [new ReportNote(7, report.Id, "far-1", received.AddHours(1), "Referred by the hotline of origin.")],
            Outcomes = [new ReportOutcome(9, report.Id, OutcomeKind.Referral, "Europol", null, "far-2", received.AddHours(3))],
        };

        Assert.True(await Store.Cases.ImportAsync(imported, Audit("report.import", report.Id)));

        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(ReportStatus.Processed, stored.Status);
        Assert.Equal(received, stored.ReceivedAt);
        Assert.Equal(TestData.Json(jurisdiction), TestData.Json(stored.Jurisdiction));
        Assert.Equal(report.Files.Select(f => f.Id), stored.Files.Select(f => f.Id));
        Assert.All(stored.Files, f => Assert.Equal((new string('1', 32), new string('3', 64)), (f.Md5, f.Sha256)));
        Assert.Equal(mediaFile.EncryptedMedia, (await Store.Reports.GetMediaAsync(mediaFile.Id))!.EncryptedBytes);
        Assert.Single(stored.Files[0].Matches);

        var history = await Store.Triage.GetDecisionHistoryAsync(mediaFile.Id);
        Assert.Equal([DecisionCategory.CgiOrAnimation, DecisionCategory.ChildAbuseMaterial], history.Select(d => d.Category));
        Assert.Equal(history[0].Id, history[1].Revises);
        Assert.Equal(DecisionCategory.ChildAbuseMaterial, (await Store.Triage.GetCurrentDecisionsAsync(report.Id))[mediaFile.Id].Category);
        Assert.Equal("Referred by the hotline of origin.", Assert.Single(await Store.Cases.GetNotesAsync(report.Id)).Text);
        Assert.Equal("Europol", Assert.Single(await Store.Cases.GetOutcomesAsync(report.Id)).Recipient);

        // Triaged here like any processed report.
        var job = await LeaseAsync();
        Assert.Equal((JobKinds.TriageReport, report.Id), (job.Kind, job.SubjectId));
        Assert.Single(await AuditAsync(), e => e.Action == "report.import");

        // A second import of the same package writes nothing.
        Assert.False(await Store.Cases.ImportAsync(imported, Audit("report.import", report.Id)));
        Assert.Single(await AuditAsync(), e => e.Action == "report.import");
        Assert.Equal(2, (await Store.Triage.GetDecisionHistoryAsync(mediaFile.Id)).Count);
    }

    [Fact]
    public async Task An_import_naming_a_file_outside_the_report_is_refused()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        var imported = new ImportedReport
        {
            Report = report,
            ProcessedAt = Time.GetUtcNow(),
            Results = TestData.Results(report),
            Decisions = [new NewDecision { FileId = Guid.NewGuid(), Category = DecisionCategory.NonPertinent, Source = DecisionSource.Analyst, Actor = "a", At = Time.GetUtcNow() }],
        };

        await Assert.ThrowsAsync<ArgumentException>(() => Store.Cases.ImportAsync(imported, Audit("report.import", report.Id)));
        Assert.Null(await Store.Reports.GetAsync(report.Id));
    }
}
