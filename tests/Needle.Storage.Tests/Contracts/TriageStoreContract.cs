using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="ITriageStore"/> and of the triage jobs of <see cref="IJobQueue"/>.</summary>
public abstract class TriageStoreContract : StoreContract
{
    private static readonly TimeSpan LongLease = TimeSpan.FromDays(1);

    // Jobs leased while looking for another one, kept for the test that wants them (each job is leased once).
    private readonly Dictionary<(string Kind, Guid Subject), LeasedJob> _held = [];

    [Fact]
    public async Task Completing_a_report_enqueues_its_triage_job_and_leaves_it_untriaged()
    {
        var report = await ProcessedAsync([Sha('a')]);

        Assert.Equal(1, await Store.Jobs.CountOpenAsync());
        var job = await LeaseAsync();
        Assert.Equal(JobKinds.TriageReport, job.Kind);
        Assert.Equal(report.Id, job.SubjectId);
        Assert.Null(await Store.Triage.GetScoreAsync(report.Id));
        var untriaged = await Store.Triage.QueueAsync(new QueueQuery { State = ReviewState.Untriaged }, Time.GetUtcNow());
        Assert.Equal([report.Id], untriaged.Items.Select(i => i.Report.Id));
        Assert.Equal(0, untriaged.Items[0].Score.Value);
        Assert.Equal([report.Id], await Store.Triage.ListOpenReportsAsync(null, 10));
    }

    [Fact]
    public async Task Triage_stores_keys_links_decisions_and_score_and_closes_the_job()
    {
        var earlier = await ProcessedAsync([Sha('a')]);
        var report = await ProcessedAsync([Sha('a'), Sha('b')]);
        await TriageAsync(Outcome(earlier, keys: [Email("x@example.net")]));

        var decided = await Store.Triage.DecideAsync([Analyst(earlier.Files[0].Id, DecisionCategory.ChildAbuseMaterial)], ReviewAudit(earlier.Id));
        var score = new PriorityScore(42.5, [new ScoreReason("unknown-media", "1 file matches nothing known", 40), new ScoreReason("escalated", "escalated", 2.5)], ReviewState.AwaitingReview, Time.GetUtcNow());
        var outcome = Outcome(report, score: score, keys: [Email("x@example.net"), new LinkKey(LinkKind.SameMedia, "sha256:" + Sha('a'), report.Files[0].Id)]) with
        {
            Links = [Link(report, earlier, LinkKind.SameMedia, "sha256:" + Sha('a'), report.Files[0].Id, earlier.Files[0].Id)],
            AutomaticDecisions = [Automatic(report.Files[0].Id, DecisionCategory.ChildAbuseMaterial, decided[0])],
            RescoreReports = [earlier.Id],
        };
        await TriageAsync(outcome);

        var stored = await Store.Triage.GetScoreAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(42.5, stored.Value);
        Assert.Equal(ReviewState.AwaitingReview, stored.State);
        Assert.Equal(score.ComputedAt, stored.ComputedAt);
        Assert.Equal(TestData.Json(score.Reasons), TestData.Json(stored.Reasons));

        var link = Assert.Single(await Store.Triage.GetLinksAsync(report.Id));
        Assert.Equal((report.Id, earlier.Id, report.Files[0].Id, earlier.Files[0].Id), (link.ReportId, link.OtherReportId, link.FileId, link.OtherFileId));

        var current = await Store.Triage.GetCurrentDecisionsAsync(report.Id);
        var automatic = Assert.Single(current).Value;
        Assert.Equal((DecisionSource.SameHash, decided[0].Id, earlier.Files[0].Id, "sha256"), (automatic.Source, automatic.BasedOn, automatic.BasedOnFileId, automatic.BasedOnReason));

        // The keys are stored (the report is found through them), the rescore job is pending, the triage job is done.
        var shared = await Store.Triage.FindSharedKeysAsync(Guid.NewGuid(), [Email("x@example.net")], 10);
        Assert.Equal(new[] { report.Id, earlier.Id }.Order(), shared.Select(l => l.OtherReportId).Order());
        var rescore = await LeaseAsync();
        Assert.Equal((JobKinds.ScoreReport, earlier.Id), (rescore.Kind, rescore.SubjectId));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", LongLease));
    }

    [Fact]
    public async Task A_lost_lease_writes_nothing()
    {
        var other = await ProcessedAsync([Sha('a')]);
        var report = await ProcessedAsync([Sha('b')]);
        await TriageAsync(Outcome(other));
        var job = await JobAsync(JobKinds.TriageReport, report.Id, TimeSpan.FromMinutes(1));
        Time.Advance(TimeSpan.FromMinutes(2));
        var outcome = Outcome(report, keys: [Email("lost@example.net")]) with
        {
            Links = [Link(report, other, LinkKind.Email, "lost@example.net")],
            AutomaticDecisions = [Automatic(report.Files[0].Id, DecisionCategory.NonPertinent, null)],
            RescoreReports = [other.Id],
        };

        // Expired (nobody took it yet) and then taken by another worker: refused both times.
        Assert.False(await Store.Triage.CompleteTriageAsync(job, outcome));
        var again = await LeaseAsync("w2", LongLease);
        Assert.Equal(job.Id, again.Id);
        Assert.False(await Store.Triage.CompleteTriageAsync(job, outcome));

        Assert.Null(await Store.Triage.GetScoreAsync(report.Id));
        Assert.Empty(await Store.Triage.GetLinksAsync(report.Id));
        Assert.Empty(await Store.Triage.GetCurrentDecisionsAsync(report.Id));
        Assert.Empty(await Store.Triage.FindSharedKeysAsync(other.Id, [Email("lost@example.net")], 10));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w3", LongLease));
        Assert.False(await Store.Triage.CompleteScoreAsync(job with { Kind = JobKinds.ScoreReport }, report.Id, outcome.Score));

        Assert.True(await Store.Triage.CompleteTriageAsync(again, outcome));
        Assert.NotNull(await Store.Triage.GetScoreAsync(report.Id));
    }

    [Fact]
    public async Task Running_the_same_outcome_twice_stores_it_once()
    {
        var other = await ProcessedAsync([Sha('a')]);
        var report = await ProcessedAsync([Sha('a')]);
        await TriageAsync(Outcome(other));
        var basis = (await Store.Triage.DecideAsync([Analyst(other.Files[0].Id, DecisionCategory.CgiOrAnimation)], ReviewAudit(other.Id)))[0];
        var outcome = Outcome(report, keys: [Email("same@example.net"), Email("same@example.net")]) with
        {
            Links = [Link(report, other, LinkKind.SameMedia, "sha256:" + Sha('a'), report.Files[0].Id, other.Files[0].Id), Link(report, other, LinkKind.Email, "same@example.net")],
            AutomaticDecisions = [Automatic(report.Files[0].Id, DecisionCategory.CgiOrAnimation, basis)],
        };

        await TriageAsync(outcome);
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.TriageReport, report.Id));
        await TriageAsync(outcome);

        Assert.Equal(2, (await Store.Triage.GetLinksAsync(report.Id)).Count);
        Assert.Single(await Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id));
        Assert.Single(await Store.Triage.FindSharedKeysAsync(other.Id, [Email("same@example.net")], 10));
    }

    [Fact]
    public async Task Links_are_stored_once_per_pair_and_seen_from_both_sides()
    {
        var first = await ProcessedAsync([Sha('a'), Sha('b')]);
        var second = await ProcessedAsync([Sha('c'), Sha('a')]);
        var sameMedia = "sha256:" + Sha('a');

        // Each side finds the other and stores the link from its own side.
        await TriageAsync(Outcome(first) with
        {
            Links = [Link(first, second, LinkKind.SameMedia, sameMedia, first.Files[0].Id, second.Files[1].Id), Link(first, second, LinkKind.SimilarMedia, "pdq:12", first.Files[1].Id, second.Files[0].Id, 12)],
        });
        await TriageAsync(Outcome(second) with
        {
            Links = [Link(second, first, LinkKind.SameMedia, sameMedia, second.Files[1].Id, first.Files[0].Id), Link(second, first, LinkKind.IpAddress, "192.0.2.7")],
        });

        var fromFirst = await Store.Triage.GetLinksAsync(first.Id);
        var fromSecond = await Store.Triage.GetLinksAsync(second.Id);
        Assert.Equal(3, fromFirst.Count);
        Assert.Equal(3, fromSecond.Count);
        Assert.All(fromFirst, l => Assert.Equal((first.Id, second.Id), (l.ReportId, l.OtherReportId)));
        Assert.All(fromSecond, l => Assert.Equal((second.Id, first.Id), (l.ReportId, l.OtherReportId)));

        var same = Assert.Single(fromSecond, l => l.Kind == LinkKind.SameMedia);
        Assert.Equal((second.Files[1].Id, first.Files[0].Id, sameMedia), (same.FileId, same.OtherFileId, same.Value));
        var similar = Assert.Single(fromSecond, l => l.Kind == LinkKind.SimilarMedia);
        Assert.Equal((second.Files[0].Id, first.Files[1].Id, 12), (similar.FileId, similar.OtherFileId, similar.Distance));
        var ip = Assert.Single(fromFirst, l => l.Kind == LinkKind.IpAddress);
        Assert.Equal(("192.0.2.7", (Guid?)null, (Guid?)null, (int?)null), (ip.Value, ip.FileId, ip.OtherFileId, ip.Distance));
        Assert.Equal(Time.GetUtcNow(), ip.CreatedAt);
    }

    [Fact]
    public async Task Shared_keys_find_other_reports_most_recent_first_and_never_the_report_itself()
    {
        var older = await ProcessedAsync([Sha('a')]);
        Time.Advance(TimeSpan.FromMinutes(1));
        var newer = await ProcessedAsync([Sha('b')]);
        Time.Advance(TimeSpan.FromMinutes(1));
        var unrelated = await ProcessedAsync([Sha('c')]);
        var ip = new LinkKey(LinkKind.IpAddress, "192.0.2.10", null);
        var media = new LinkKey(LinkKind.SameMedia, "sha256:" + Sha('a'), null);
        await TriageAsync(Outcome(older, keys: [Email("p@example.net"), ip, media with { FileId = older.Files[0].Id }]));
        await TriageAsync(Outcome(newer, keys: [ip]));
        await TriageAsync(Outcome(unrelated, keys: [Email("q@example.net"), new LinkKey(LinkKind.ScreenName, "p@example.net", null)]));

        var probe = Guid.NewGuid();
        var probeFile = Guid.NewGuid();
        var found = await Store.Triage.FindSharedKeysAsync(probe, [Email("p@example.net"), ip, media with { FileId = probeFile }], 10);
        Assert.Equal([newer.Id, older.Id, older.Id, older.Id], found.Select(l => l.OtherReportId));
        Assert.All(found, l => Assert.Equal(probe, l.ReportId));
        var mediaLink = Assert.Single(found, l => l.Kind == LinkKind.SameMedia);
        Assert.Equal((probeFile, older.Files[0].Id), (mediaLink.FileId, mediaLink.OtherFileId));

        // From one of the reports itself: only the others; and the limit holds.
        Assert.Equal([newer.Id], (await Store.Triage.FindSharedKeysAsync(older.Id, [Email("p@example.net"), ip], 10)).Select(l => l.OtherReportId));
        Assert.Single(await Store.Triage.FindSharedKeysAsync(probe, [Email("p@example.net"), ip], 1));
        Assert.Empty(await Store.Triage.FindSharedKeysAsync(probe, [new LinkKey(LinkKind.DeviceId, "p@example.net", null)], 10));
    }

    [Fact]
    public async Task A_new_triage_replaces_the_keys_of_the_report()
    {
        var report = await ProcessedAsync([Sha('a')]);
        await TriageAsync(Outcome(report, keys: [Email("old@example.net")]));
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.TriageReport, report.Id));
        await TriageAsync(Outcome(report, keys: [Email("new@example.net")]));

        Assert.Empty(await Store.Triage.FindSharedKeysAsync(Guid.NewGuid(), [Email("old@example.net")], 10));
        Assert.Single(await Store.Triage.FindSharedKeysAsync(Guid.NewGuid(), [Email("new@example.net")], 10));
    }

    [Fact]
    public async Task A_bundle_follows_media_clusters_breadth_first_up_to_the_limit()
    {
        var a = await ProcessedAsync([Sha('a')]);
        var b = await ProcessedAsync([Sha('b')]);
        var c = await ProcessedAsync([Sha('c')]);
        var d = await ProcessedAsync([Sha('d')]);
        var e = await ProcessedAsync([Sha('e')]);
        await TriageAsync(Outcome(a));
        await TriageAsync(Outcome(b) with { Links = [Link(b, a, LinkKind.SameMedia, "sha256:x", b.Files[0].Id, a.Files[0].Id)] });
        await TriageAsync(Outcome(c) with { Links = [Link(c, b, LinkKind.SimilarMedia, "pdq:20", c.Files[0].Id, b.Files[0].Id, 20)] });
        await TriageAsync(Outcome(d) with { Links = [Link(d, c, LinkKind.Email, "d@example.net"), Link(d, a, LinkKind.CameraSerial, "SN-1", d.Files[0].Id, a.Files[0].Id)] });
        await TriageAsync(Outcome(e));

        // a, b and c are one media cluster (c joined through b): the report first, then the cluster's others in id order.
        Assert.Equal([a.Id, .. InIdOrder(b.Id, c.Id)], await Store.Triage.GetBundleAsync(a.Id, 10));
        Assert.Equal([c.Id, .. InIdOrder(a.Id, b.Id)], await Store.Triage.GetBundleAsync(c.Id, 10));
        Assert.Equal([a.Id, InIdOrder(b.Id, c.Id)[0]], await Store.Triage.GetBundleAsync(a.Id, 2));
        Assert.Equal([d.Id], await Store.Triage.GetBundleAsync(d.Id, 10));
        Assert.Equal([e.Id], await Store.Triage.GetBundleAsync(e.Id, 10));

        // Two neighbours at the same depth come in id order.
        var hub = await ProcessedAsync([Sha('f')]);
        await TriageAsync(Outcome(hub) with { Links = [Link(hub, e, LinkKind.SameMedia, "sha256:y"), Link(hub, d, LinkKind.SameMedia, "sha256:z")] });
        var expected = new[] { d.Id, e.Id }.OrderBy(id => id.ToString("D"), StringComparer.Ordinal).ToList();
        Assert.Equal([hub.Id, .. expected], await Store.Triage.GetBundleAsync(hub.Id, 10));
    }

    /// <summary>Rows in a table of the backend's database (link storage, for the viral-media tests).</summary>
    protected abstract Task<long> CountRowsAsync(string table);

    private async Task<LeasedJob> ReTriageJobAsync(NewReport report)
    {
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.TriageReport, report.Id));
        return await JobAsync(JobKinds.TriageReport, report.Id);
    }

    private static List<Guid> InIdOrder(params Guid[] ids) => ids.OrderBy(id => id.ToString("D"), StringComparer.Ordinal).ToList();

    [Fact]
    public async Task A_viral_file_s_reports_share_one_cluster_row_and_link_storage_grows_with_reports_not_pairs()
    {
        // 60 reports, each with one of 3 images (as triage links a copy to every earlier copy it finds).
        const int Reports = 60;
        var reports = new List<NewReport>();
        for (var i = 0; i < Reports; i++)
        {
            var image = (char)('a' + (i % 3));
            var report = await ProcessedAsync([Sha(image)], md5s: [Md5(image)]);
            var earlier = reports.Where((_, k) => k % 3 == i % 3).ToList();
            await TriageAsync(Outcome(report) with
            {
                Links = [.. earlier.SelectMany(e => new[]
                {
                    Link(report, e, LinkKind.SameMedia, "sha256:" + Sha(image), report.Files[0].Id, e.Files[0].Id),
                    Link(report, e, LinkKind.SameMedia, "md5:" + Md5(image), report.Files[0].Id, e.Files[0].Id),
                })],
            });
            reports.Add(report);
        }

        // One member row per file and one cluster row per image, where pairs would be 3 x (20 x 19 / 2) = 570 rows.
        Assert.Equal(Reports, await CountRowsAsync("link_members"));
        Assert.Equal(3, await CountRowsAsync("link_clusters"));

        // Each report is still linked to the 19 others with its image, saying why; its bundle is those 20 reports.
        var last = reports[^1];
        var links = await Store.Triage.GetLinksAsync(last.Id);
        var sameImage = reports.Where((_, k) => k % 3 == (Reports - 1) % 3 && k != Reports - 1).Select(r => r.Id).ToHashSet();
        Assert.Equal(sameImage, links.Select(l => l.OtherReportId).ToHashSet());
        Assert.Equal(19, links.Count);
        Assert.All(links, l => Assert.Equal((LinkKind.SameMedia, "sha256:" + Sha('c'), last.Files[0].Id), (l.Kind, l.Value, l.FileId)));
        Assert.Equal(20, (await Store.Triage.GetBundleAsync(last.Id, 100)).Count);
    }

    [Fact]
    public async Task Near_duplicates_joined_through_others_are_linked_with_their_own_pdq_distance_and_clusters_merge()
    {
        var pdqA = new string('0', 64);
        var pdqB = "f" + new string('0', 63);            // 4 bits from A
        var pdqC = "ff" + new string('0', 62);           // 8 bits from A, 4 from B
        var a = await ProcessedAsync([Sha('a')], pdqs: [pdqA]);
        var b = await ProcessedAsync([Sha('b')], pdqs: [pdqB]);
        var c = await ProcessedAsync([Sha('c')], pdqs: [pdqC]);
        var d = await ProcessedAsync([Sha('d')], pdqs: [pdqC]);
        await TriageAsync(Outcome(a));
        await TriageAsync(Outcome(b) with { Links = [Link(b, a, LinkKind.SimilarMedia, "pdq:4", b.Files[0].Id, a.Files[0].Id, 4)] });

        // c and d form a cluster of their own; then c is found near b: the two clusters are one.
        await TriageAsync(Outcome(c));
        await TriageAsync(Outcome(d) with { Links = [Link(d, c, LinkKind.SimilarMedia, "pdq:0", d.Files[0].Id, c.Files[0].Id, 0)] });
        Assert.Equal(2, await CountRowsAsync("link_clusters"));
        Assert.True(await Store.Triage.CompleteTriageAsync(await ReTriageJobAsync(c), Outcome(c) with { Links = [Link(c, b, LinkKind.SimilarMedia, "pdq:4", c.Files[0].Id, b.Files[0].Id, 4)] }));
        Assert.Equal(1, await CountRowsAsync("link_clusters"));
        Assert.Equal(4, await CountRowsAsync("link_members"));

        var fromA = (await Store.Triage.GetLinksAsync(a.Id)).ToDictionary(l => l.OtherReportId);
        Assert.Equal((LinkKind.SimilarMedia, "pdq:4", 4), (fromA[b.Id].Kind, fromA[b.Id].Value, fromA[b.Id].Distance));
        Assert.Equal((LinkKind.SimilarMedia, "pdq:8", 8), (fromA[c.Id].Kind, fromA[c.Id].Value, fromA[c.Id].Distance));
        Assert.Equal((LinkKind.SimilarMedia, "pdq:8", 8), (fromA[d.Id].Kind, fromA[d.Id].Value, fromA[d.Id].Distance));
        Assert.Equal((a.Files[0].Id, c.Files[0].Id), (fromA[c.Id].FileId, fromA[c.Id].OtherFileId));
        Assert.Equal(4, (await Store.Triage.GetBundleAsync(d.Id, 10)).Count);
    }

    [Fact]
    public async Task Decisions_keep_their_history_and_the_latest_is_current()
    {
        var report = await ProcessedAsync([Sha('a'), Sha('b')]);
        await TriageAsync(Outcome(report));
        var fileId = report.Files[0].Id;

        var first = Assert.Single(await Store.Triage.DecideAsync([Analyst(fileId, DecisionCategory.ChildAbuseMaterial, "first look")], ReviewAudit(report.Id)));
        Time.Advance(TimeSpan.FromMinutes(3));
        var revised = Assert.Single(await Store.Triage.DecideAsync([Analyst(fileId, DecisionCategory.ExploitativeOrAgeDifficult, "second look", "reviewer-2")], ReviewAudit(report.Id)));

        Assert.Null(first.Revises);
        Assert.Equal(first.Id, revised.Revises);
        Assert.Equal(report.Id, revised.ReportId);
        var history = await Store.Triage.GetDecisionHistoryAsync(fileId);
        Assert.Equal([first.Id, revised.Id], history.Select(d => d.Id));
        Assert.Equal(TestData.Json(first), TestData.Json(history[0]));
        Assert.Equal(TestData.Json(revised), TestData.Json(history[1]));
        Assert.Equal(("second look", "reviewer-2", Time.GetUtcNow()), (history[1].Note, history[1].Actor, history[1].At));
        var current = await Store.Triage.GetCurrentDecisionsAsync(report.Id);
        Assert.Equal(TestData.Json(revised), TestData.Json(Assert.Single(current).Value));
        Assert.Empty(await Store.Triage.GetDecisionHistoryAsync(report.Files[1].Id));

        // Two decisions on one report: one pending score job (not two); the audit holds both, chained.
        var score = await LeaseAsync();
        Assert.Equal((JobKinds.ScoreReport, report.Id), (score.Kind, score.SubjectId));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", LongLease));
        var audit = await Store.Audit.ReadAsync(0, 100);
        Assert.Equal(2, audit.Count(e => e.Action == "decision.record"));
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    [Fact]
    public async Task A_decision_on_an_unknown_file_writes_nothing()
    {
        var report = await ProcessedAsync([Sha('a')]);
        await TriageAsync(Outcome(report));
        var auditBefore = (await Store.Audit.ReadAsync(0, 100)).Count;

        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Triage.DecideAsync(
            [Analyst(report.Files[0].Id, DecisionCategory.ChildAbuseMaterial), Analyst(Guid.NewGuid(), DecisionCategory.NonPertinent)],
            ReviewAudit(report.Id)));

        Assert.Empty(await Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id));
        Assert.Equal(auditBefore, (await Store.Audit.ReadAsync(0, 100)).Count);
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", LongLease));
    }

    [Fact]
    public async Task Decisions_carried_to_copies_touch_every_report_and_are_audited_once()
    {
        var original = await ProcessedAsync([Sha('a')]);
        var copy = await ProcessedAsync([Sha('a')]);
        await TriageAsync(Outcome(original));
        await TriageAsync(Outcome(copy));

        var stored = await Store.Triage.DecideAsync(
            [
                Analyst(original.Files[0].Id, DecisionCategory.Comparison),
                new NewDecision
                {
                    FileId = copy.Files[0].Id, Category = DecisionCategory.Comparison, Source = DecisionSource.Bundle, Actor = "reviewer-1",
                    At = Time.GetUtcNow(), BasedOnFileId = original.Files[0].Id, BasedOnReason = "bundle:pdq=0",
                },
            ],
            ReviewAudit(original.Id));

        Assert.Equal(2, stored.Count);
        Assert.Equal(copy.Id, stored[1].ReportId);
        Assert.Equal(DecisionSource.Bundle, (await Store.Triage.GetCurrentDecisionsAsync(copy.Id))[copy.Files[0].Id].Source);
        Assert.Single(await Store.Audit.ReadAsync(0, 100), e => e.Action == "decision.record");
        var jobs = new[] { await LeaseAsync(), await LeaseAsync() };
        Assert.All(jobs, j => Assert.Equal(JobKinds.ScoreReport, j.Kind));
        Assert.Equal(new[] { original.Id, copy.Id }.Order(), jobs.Select(j => j.SubjectId).Order());
    }

    [Fact]
    public async Task An_automatic_decision_never_overrides_an_analyst()
    {
        var report = await ProcessedAsync([Sha('a'), Sha('b')]);
        var analyst = Assert.Single(await Store.Triage.DecideAsync([Analyst(report.Files[0].Id, DecisionCategory.NonPertinent)], ReviewAudit(report.Id)));

        await TriageAsync(Outcome(report) with
        {
            AutomaticDecisions =
            [
                Automatic(report.Files[0].Id, DecisionCategory.ChildAbuseMaterial, null),
                Automatic(report.Files[1].Id, DecisionCategory.ChildAbuseMaterial, null),
            ],
        });
        var carried = await Store.Triage.DecideAsync([Automatic(report.Files[0].Id, DecisionCategory.ChildAbuseMaterial, null) with { Source = DecisionSource.Bundle }], ReviewAudit(report.Id));

        Assert.Empty(carried);
        Assert.Equal([analyst.Id], (await Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id)).Select(d => d.Id));
        var current = await Store.Triage.GetCurrentDecisionsAsync(report.Id);
        Assert.Equal(DecisionCategory.NonPertinent, current[report.Files[0].Id].Category);
        Assert.Equal(DecisionSource.SameHash, current[report.Files[1].Id].Source);

        // An analyst may still revise an automatic decision.
        var revised = Assert.Single(await Store.Triage.DecideAsync([Analyst(report.Files[1].Id, DecisionCategory.CgiOrAnimation)], ReviewAudit(report.Id)));
        Assert.Equal(current[report.Files[1].Id].Id, revised.Revises);
    }

    [Fact]
    public async Task A_decision_is_found_for_the_same_media_by_sha256_then_md5_then_identical_pdq()
    {
        var pdq = new string('7', 64);
        var report = await ProcessedAsync([Sha('a'), Sha('b'), Sha('c'), Sha('d')], pdqs: [null, null, pdq, null]);
        var files = report.Files;
        await Store.Triage.DecideAsync([Analyst(files[0].Id, DecisionCategory.ChildAbuseMaterial), Analyst(files[1].Id, DecisionCategory.NonPertinent), Analyst(files[2].Id, DecisionCategory.CgiOrAnimation)], ReviewAudit(report.Id));
        var probe = Guid.NewGuid();

        Assert.Equal(files[0].Id, (await Store.Triage.FindDecisionForMediaAsync(Sha('a'), Md5('b'), null, probe))!.FileId);
        Assert.Equal(files[1].Id, (await Store.Triage.FindDecisionForMediaAsync(Sha('z'), Md5('b'), pdq, probe))!.FileId);
        Assert.Equal(files[2].Id, (await Store.Triage.FindDecisionForMediaAsync(Sha('z'), Md5('z'), pdq, probe))!.FileId);
        Assert.Null(await Store.Triage.FindDecisionForMediaAsync(Sha('z'), Md5('z'), null, probe));
        Assert.Null(await Store.Triage.FindDecisionForMediaAsync(Sha('d'), null, null, probe));
        Assert.Null(await Store.Triage.FindDecisionForMediaAsync(Sha('a'), null, null, files[0].Id));

        // Undecided copies: by any of the hashes, never the excluded file, within the limit.
        var copies = await ProcessedAsync([Sha('d'), Sha('y'), Sha('x')], pdqs: [null, null, pdq], md5s: [null, Md5('d'), null]);
        var undecided = await Store.Triage.FindUndecidedCopiesAsync(Sha('d'), Md5('d'), pdq, files[3].Id, 10);
        Assert.Equal(copies.Files.Select(f => f.Id).Order(), undecided.Select(f => f.Id).Order());
        Assert.Single(await Store.Triage.FindUndecidedCopiesAsync(Sha('d'), Md5('d'), pdq, files[3].Id, 1));
        Assert.Equal(2, (await Store.Triage.FindUndecidedCopiesAsync(Sha('d'), Md5('d'), null, files[3].Id, 10)).Count);
        Assert.Equal([files[3].Id], (await Store.Triage.FindUndecidedCopiesAsync(Sha('d'), null, null, copies.Files[0].Id, 10)).Select(f => f.Id));
    }

    [Fact]
    public async Task An_analyst_decision_is_preferred_then_the_most_recent()
    {
        var first = await ProcessedAsync([Sha('a')]);
        var second = await ProcessedAsync([Sha('a')]);
        var third = await ProcessedAsync([Sha('a')]);
        var analyst = Assert.Single(await Store.Triage.DecideAsync([Analyst(first.Files[0].Id, DecisionCategory.ChildAbuseMaterial)], ReviewAudit(first.Id)));
        Time.Advance(TimeSpan.FromMinutes(1));
        await Store.Triage.DecideAsync([Automatic(second.Files[0].Id, DecisionCategory.ChildAbuseMaterial, analyst)], ReviewAudit(second.Id));

        Assert.Equal(analyst.Id, (await Store.Triage.FindDecisionForMediaAsync(Sha('a'), null, null, third.Files[0].Id))!.Id);
        Time.Advance(TimeSpan.FromMinutes(1));
        var later = Assert.Single(await Store.Triage.DecideAsync([Analyst(second.Files[0].Id, DecisionCategory.ExploitativeOrAgeDifficult)], ReviewAudit(second.Id)));
        Assert.Equal(later.Id, (await Store.Triage.FindDecisionForMediaAsync(Sha('a'), null, null, third.Files[0].Id))!.Id);
    }

    [Fact]
    public async Task Claims_are_granted_refused_renewed_expire_and_are_released()
    {
        var report = await ProcessedAsync([Sha('a')]);
        var now = Time.GetUtcNow();
        Assert.Null(await Store.Triage.TryClaimAsync(Guid.NewGuid(), "alice", now, now.AddMinutes(15), ClaimAudit("alice")));

        var granted = await Store.Triage.TryClaimAsync(report.Id, "alice", now, now.AddMinutes(15), ClaimAudit("alice"));
        Assert.Equal((new ReportClaim(report.Id, "alice", now, now.AddMinutes(15)), true), granted);
        var auditAfterGrant = (await Store.Audit.ReadAsync(0, 100)).Count;

        // Someone else: refused, told who holds it, no audit entry.
        Time.Advance(TimeSpan.FromMinutes(5));
        var refused = await Store.Triage.TryClaimAsync(report.Id, "bob", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(15), ClaimAudit("bob"));
        Assert.Equal((granted!.Value.Claim, false), refused);
        Assert.Equal(auditAfterGrant, (await Store.Audit.ReadAsync(0, 100)).Count);

        // The holder renews: same start, later end.
        var renewed = await Store.Triage.TryClaimAsync(report.Id, "alice", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(15), ClaimAudit("alice"));
        Assert.Equal((new ReportClaim(report.Id, "alice", now, Time.GetUtcNow().AddMinutes(15)), true), renewed);
        Assert.Equal(renewed!.Value.Claim, await Store.Triage.GetClaimAsync(report.Id, Time.GetUtcNow()));

        // Expired: nobody holds it, and bob gets it.
        Time.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(await Store.Triage.GetClaimAsync(report.Id, Time.GetUtcNow()));
        Assert.True((await Store.Triage.TryClaimAsync(report.Id, "bob", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(10), ClaimAudit("bob")))!.Value.Granted);

        // Only the holder releases, unless forced; nothing to release afterwards.
        Assert.False(await Store.Triage.ReleaseClaimAsync(report.Id, "alice", force: false, ClaimAudit("alice", "claim.release")));
        Assert.True(await Store.Triage.ReleaseClaimAsync(report.Id, "bob", force: false, ClaimAudit("bob", "claim.release")));
        Assert.Null(await Store.Triage.GetClaimAsync(report.Id, Time.GetUtcNow()));
        Assert.False(await Store.Triage.ReleaseClaimAsync(report.Id, "bob", force: false, ClaimAudit("bob", "claim.release")));
        await Store.Triage.TryClaimAsync(report.Id, "carol", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(10), ClaimAudit("carol"));
        Assert.True(await Store.Triage.ReleaseClaimAsync(report.Id, "admin", force: true, ClaimAudit("admin", "claim.release")));
        Assert.Null(await Store.Triage.GetClaimAsync(report.Id, Time.GetUtcNow()));

        var actions = (await Store.Audit.ReadAsync(0, 100)).Where(e => e.Action.StartsWith("claim.", StringComparison.Ordinal)).Select(e => (e.Actor, e.Action));
        Assert.Equal([("alice", "claim.take"), ("alice", "claim.take"), ("bob", "claim.take"), ("bob", "claim.release"), ("carol", "claim.take"), ("admin", "claim.release")], actions);
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    [Fact]
    public async Task The_queue_is_ordered_by_score_then_oldest_and_pages_without_gaps_or_repeats()
    {
        // Ties on score and on received time, so every part of the order is used.
        double[] scores = [10, 50, 50, 50, 0, 30, 30, 90, 10, 50, -5];
        var reports = new List<NewReport>();
        foreach (var score in scores)
        {
            reports.Add(await ProcessedAsync([Sha('a')]));
            if (reports.Count % 3 != 0)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        for (var i = 0; i < reports.Count; i++)
        {
            await TriageAsync(Outcome(reports[i], score: Score(scores[i])));
        }

        var expected = reports
            .Select((r, i) => (r.Id, Score: scores[i], r.ReceivedAt))
            .OrderByDescending(r => r.Score).ThenBy(r => r.ReceivedAt).ThenBy(r => r.Id.ToString("D"), StringComparer.Ordinal)
            .Select(r => r.Id)
            .ToList();
        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await Store.Triage.QueueAsync(new QueueQuery { Limit = 3, After = after }, Time.GetUtcNow());
            Assert.InRange(page.Items.Count, 1, 3);
            seen.AddRange(page.Items.Select(i => i.Report.Id));
            after = page.Next;
        }
        while (after is not null);

        Assert.Equal(expected, seen);
        var all = await Store.Triage.QueueAsync(new QueueQuery { Limit = 0 }, Time.GetUtcNow());
        Assert.Single(all.Items);
        Assert.Equal(reports.Count, (await Store.Triage.QueueAsync(new QueueQuery { Limit = 100_000 }, Time.GetUtcNow())).Items.Count);
        Assert.Throws<ArgumentException>(() => QueueCursor.Decode("not a cursor"));
    }

    [Theory]
    [InlineData(QueueOrder.Score)]
    [InlineData(QueueOrder.Age)]
    [InlineData(QueueOrder.Files)]
    public async Task Every_queue_order_pages_through_every_report_once_in_order_leaving_out_claims_of_others(QueueOrder order)
    {
        // Ties on score, on file count and on received time, so every part of each order is used.
        double[] scores = [10, 50, 50, 50, 0, 30, 30, 90, 10, 50, -5, 20];
        int[] files = [1, 3, 2, 3, 1, 2, 3, 1, 2, 3, 1, 4];
        var reports = new List<NewReport>();
        for (var i = 0; i < scores.Length; i++)
        {
            reports.Add(await ProcessedAsync([.. Enumerable.Range(0, files[i]).Select(f => Sha((char)('a' + f)))]));
            if (reports.Count % 3 != 0)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        for (var i = 0; i < reports.Count; i++)
        {
            await TriageAsync(Outcome(reports[i], score: Score(scores[i])));
        }

        // Someone else holds the last one: left out of every order, and of the count.
        var now = Time.GetUtcNow();
        await Store.Triage.TryClaimAsync(reports[^1].Id, "bob", now, now.AddMinutes(15), ClaimAudit("bob"));

        var rows = reports.Take(reports.Count - 1).Select((r, i) => (r.Id, Score: scores[i], Files: files[i], r.ReceivedAt)).ToList();
        var sorted = order switch
        {
            QueueOrder.Age => rows.OrderBy(r => r.ReceivedAt),
            QueueOrder.Files => rows.OrderByDescending(r => r.Files).ThenBy(r => r.ReceivedAt),
            _ => rows.OrderByDescending(r => r.Score).ThenBy(r => r.ReceivedAt),
        };
        var expected = sorted.ThenBy(r => r.Id.ToString("D"), StringComparer.Ordinal).Select(r => r.Id).ToList();

        var query = new QueueQuery { Order = order, ExcludeClaimedByOthers = true, Viewer = "alice", Limit = 2 };
        var seen = new List<Guid>();
        string? after = null;
        do
        {
            var page = await Store.Triage.QueueAsync(query with { After = after }, Time.GetUtcNow());
            Assert.InRange(page.Items.Count, 1, 2);
            seen.AddRange(page.Items.Select(i => i.Report.Id));
            after = page.Next;
            if (after is not null)
            {
                // A cursor belongs to its order: another order refuses it rather than skipping or repeating rows.
                var other = order == QueueOrder.Files ? QueueOrder.Age : QueueOrder.Files;
                await Assert.ThrowsAsync<ArgumentException>(() => Store.Triage.QueueAsync(query with { Order = other, After = after }, Time.GetUtcNow()));
            }
        }
        while (after is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(expected.Count, await Store.Triage.CountQueueAsync(query, Time.GetUtcNow()));
        Assert.Equal(reports.Count, (await Store.Triage.QueueAsync(query with { ExcludeClaimedByOthers = false, Limit = 500 }, Time.GetUtcNow())).Items.Count);
    }

    [Fact]
    public async Task A_queue_item_tells_the_unknown_and_unassessable_files_its_score_counted()
    {
        var report = await ProcessedAsync([Sha('a'), Sha('b'), Sha('c')]);
        var score = new PriorityScore(50,
            [new ScoreReason("unknown-media", "2 files match nothing known", 40) { Files = 2 }, new ScoreReason("unassessable", "1 file cannot be assessed", 10) { Files = 1 }],
            ReviewState.AwaitingReview, Time.GetUtcNow());
        await TriageAsync(Outcome(report, score: score));

        var item = Assert.Single((await Store.Triage.QueueAsync(new QueueQuery(), Time.GetUtcNow())).Items);
        Assert.Equal((2, 1), (item.UnknownFileCount, item.UnassessableFileCount));
        Assert.Equal(score.Reasons, item.Score.Reasons);
    }

    [Fact]
    public async Task Every_queue_filter_narrows_the_queue()
    {
        var france = await ProcessedAsync([Sha('a'), Sha('b')], organisation: "Example Platform", jurisdiction: TestData.Jurisdiction("fr-police", "FR"), matches: [TestData.Match("known")]);
        var germany = await ProcessedAsync([Sha('c')], organisation: "Other Hotline", jurisdiction: TestData.Jurisdiction("de-bka", "DE"));
        var informational = await ProcessedAsync([Sha('d')], organisation: "Example Platform");
        var claimed = await ProcessedAsync([Sha('e')], organisation: "EXAMPLE PLATFORM", jurisdiction: TestData.Jurisdiction("fr-police", "FR"));
        await TriageAsync(Outcome(france, score: Score(40)));
        await TriageAsync(Outcome(germany, score: Score(30)));
        await TriageAsync(Outcome(informational, score: Score(0, ReviewState.Informational)));
        await TriageAsync(Outcome(claimed, score: Score(20)));
        await Store.Triage.DecideAsync([Analyst(france.Files[1].Id, DecisionCategory.NonPertinent)], ReviewAudit(france.Id));
        var now = Time.GetUtcNow();
        await Store.Triage.TryClaimAsync(claimed.Id, "bob", now, now.AddMinutes(15), ClaimAudit("bob"));

        async Task<List<Guid>> QueueAsync(QueueQuery query)
        {
            List<Guid> ids = [.. (await Store.Triage.QueueAsync(query, Time.GetUtcNow())).Items.Select(i => i.Report.Id)];

            // The count the queue page shows agrees with the rows, filter by filter.
            Assert.Equal(ids.Count, await Store.Triage.CountQueueAsync(query, Time.GetUtcNow()));
            return ids;
        }

        Assert.Equal([france.Id, germany.Id, claimed.Id], await QueueAsync(new QueueQuery()));
        Assert.Equal([informational.Id], await QueueAsync(new QueueQuery { State = ReviewState.Informational }));
        Assert.Empty(await QueueAsync(new QueueQuery { State = ReviewState.Reviewed }));
        Assert.Equal([france.Id, claimed.Id], await QueueAsync(new QueueQuery { JurisdictionQueue = "fr-police" }));
        Assert.Empty(await QueueAsync(new QueueQuery { JurisdictionQueue = "FR-POLICE" }));
        Assert.Equal([germany.Id], await QueueAsync(new QueueQuery { Country = "de" }));
        Assert.Equal([france.Id], await QueueAsync(new QueueQuery { ListName = "known" }));
        Assert.Empty(await QueueAsync(new QueueQuery { ListName = "other" }));
        Assert.Equal([france.Id, claimed.Id], await QueueAsync(new QueueQuery { Reporter = "example platform" }));
        Assert.Equal([france.Id, germany.Id], await QueueAsync(new QueueQuery { ExcludeClaimedByOthers = true, Viewer = "alice" }));
        Assert.Equal([france.Id, germany.Id, claimed.Id], await QueueAsync(new QueueQuery { ExcludeClaimedByOthers = true, Viewer = "bob" }));
        Assert.Equal([france.Id, claimed.Id], await QueueAsync(new QueueQuery { Country = "fr", Reporter = "EXAMPLE platform", JurisdictionQueue = "fr-police", ExcludeClaimedByOthers = true, Viewer = "bob" }));

        // An item tells its summary, score, reporter, undecided files and the claim in force.
        var items = (await Store.Triage.QueueAsync(new QueueQuery(), Time.GetUtcNow())).Items;
        var first = items[0];
        Assert.Equal((france.Id, "fr-police", "FR", 2, 1), (first.Report.Id, first.Report.JurisdictionQueue, first.Report.JurisdictionCountry, first.Report.FileCount, first.Report.MatchedFileCount));
        Assert.Equal((40.0, ReviewState.AwaitingReview), (first.Score.Value, first.Score.State));
        Assert.Equal("Example Platform", first.ReporterOrganisation);
        Assert.Equal(1, first.UndecidedFileCount);
        Assert.Null(first.Claim);
        Assert.Equal(new ReportClaim(claimed.Id, "bob", now, now.AddMinutes(15)), items[2].Claim);

        // Once the claim expires it is neither shown nor filtered on.
        Time.Advance(TimeSpan.FromMinutes(16));
        Assert.Null((await Store.Triage.QueueAsync(new QueueQuery(), Time.GetUtcNow())).Items[2].Claim);
        Assert.Equal([france.Id, germany.Id, claimed.Id], await QueueAsync(new QueueQuery { ExcludeClaimedByOthers = true, Viewer = "alice" }));
    }

    [Fact]
    public async Task Enqueue_adds_a_job_unless_the_same_one_is_pending()
    {
        var subject = Guid.NewGuid();
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        Assert.False(await Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.ScoreReport, subject));
        Assert.Equal(2, await Store.Jobs.CountOpenAsync());

        // Once leased, its inputs may be read already: a new one is queued behind it.
        var leased = await LeaseAsync();
        Assert.Equal((JobKinds.RescoreOpenReports, Guid.Empty), (leased.Kind, leased.SubjectId));
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        Assert.False(await Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        Assert.Equal(3, await Store.Jobs.CountOpenAsync());

        // Concurrent callers: still one pending job.
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.Jobs.EnqueueAsync(JobKinds.ScoreReport, Guid.Empty))));
        Assert.Single(results, r => r);
    }

    [Fact]
    public async Task A_score_job_stores_the_new_score_and_state()
    {
        var report = await ProcessedAsync([Sha('a')]);
        await TriageAsync(Outcome(report, score: Score(10)));
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.ScoreReport, report.Id));
        var job = await LeaseAsync();
        Time.Advance(TimeSpan.FromMinutes(1));
        var reviewed = new PriorityScore(3, [new ScoreReason("decided", "every file decided", 3)], ReviewState.Reviewed, Time.GetUtcNow());

        await Assert.ThrowsAsync<ArgumentException>(() => Store.Triage.CompleteTriageAsync(job, Outcome(report)));
        Assert.True(await Store.Triage.CompleteScoreAsync(job, report.Id, reviewed));
        Assert.False(await Store.Triage.CompleteScoreAsync(job, report.Id, Score(99)));

        var stored = await Store.Triage.GetScoreAsync(report.Id);
        Assert.Equal((3.0, ReviewState.Reviewed, Time.GetUtcNow()), (stored!.Value, stored.State, stored.ComputedAt));
        Assert.Empty(await Store.Triage.ListOpenReportsAsync(null, 10));
        Assert.Equal(0, await Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task Media_hashes_are_read_in_the_order_they_were_stored()
    {
        var first = await ProcessedAsync([Sha('a'), Sha('b')], pdqs: [new string('1', 64), null]);
        var second = await ProcessedAsync([Sha('c'), Sha('d')], pdqs: [new string('2', 64), new string('3', 64)]);

        var rows = await Store.Triage.ReadMediaHashesAsync(0, 100);
        Assert.Equal([first.Files[0].Id, second.Files[0].Id, second.Files[1].Id], rows.Select(r => r.FileId));
        Assert.Equal([first.Id, second.Id, second.Id], rows.Select(r => r.ReportId));
        Assert.Equal([new string('1', 64), new string('2', 64), new string('3', 64)], rows.Select(r => r.Pdq));
        Assert.All(rows, r => Assert.Equal(90, r.Quality));
        Assert.True(rows[0].Sequence < rows[1].Sequence && rows[1].Sequence < rows[2].Sequence);

        Assert.Equal([rows[1], rows[2]], await Store.Triage.ReadMediaHashesAsync(rows[0].Sequence, 100));
        Assert.Equal([rows[1]], await Store.Triage.ReadMediaHashesAsync(rows[0].Sequence, 1));
        Assert.Empty(await Store.Triage.ReadMediaHashesAsync(rows[2].Sequence, 100));

        var third = await ProcessedAsync([Sha('e')], pdqs: [new string('4', 64)]);
        Assert.Equal([third.Files[0].Id], (await Store.Triage.ReadMediaHashesAsync(rows[2].Sequence, 100)).Select(r => r.FileId));
    }

    [Fact]
    public async Task Media_files_are_read_back_by_their_sequences()
    {
        await ProcessedAsync([Sha('a')], pdqs: [new string('1', 64)]);
        var second = await ProcessedAsync([Sha('c'), Sha('d')], pdqs: [new string('2', 64), new string('3', 64)]);
        var rows = await Store.Triage.ReadMediaHashesAsync(0, 100);

        // Any order, unknown sequences left out; more than one statement's worth of sequences.
        var asked = new List<long> { rows[2].Sequence, rows[1].Sequence, rows[2].Sequence + 1000 };
        asked.AddRange(Enumerable.Range(1, 250).Select(i => rows[2].Sequence + 2000 + i));
        var found = await Store.Triage.ReadMediaFilesAsync(asked);
        Assert.Equal([rows[1], rows[2]], found.OrderBy(r => r.Sequence));
        Assert.Equal([second.Files[0].Id, second.Files[1].Id], found.OrderBy(r => r.Sequence).Select(r => r.FileId));
        Assert.Empty(await Store.Triage.ReadMediaFilesAsync([]));
    }

    [Fact]
    public async Task Open_reports_are_listed_in_id_order_after_a_cursor()
    {
        var reports = new List<NewReport>();
        for (var i = 0; i < 5; i++)
        {
            reports.Add(await ProcessedAsync([Sha('a')]));
        }

        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()));
        await TriageAsync(Outcome(reports[0], score: Score(1, ReviewState.Informational)));
        await TriageAsync(Outcome(reports[1], score: Score(1, ReviewState.AwaitingReview)));
        await TriageAsync(Outcome(reports[2], score: Score(1, ReviewState.Reviewed)));

        var open = reports.Skip(1).Where((_, i) => i != 1).Select(r => r.Id).OrderBy(id => id.ToString("D"), StringComparer.Ordinal).ToList();
        Assert.Equal(open, await Store.Triage.ListOpenReportsAsync(null, 10));
        Assert.Equal(open[1..], await Store.Triage.ListOpenReportsAsync(open[0], 10));
        Assert.Equal(open[..2], await Store.Triage.ListOpenReportsAsync(null, 2));
    }

    [Fact]
    public async Task Decision_statistics_count_processed_files_and_their_current_decisions()
    {
        Assert.Equal(new DecisionStatistics(0, 0, 0, 0), await Store.Triage.GetDecisionStatisticsAsync());
        var original = await ProcessedAsync([Sha('a'), Sha('b'), Sha('c')]);
        var copy = await ProcessedAsync([Sha('a'), Sha('d')]);
        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()));
        var analyst = await Store.Triage.DecideAsync([Analyst(original.Files[0].Id, DecisionCategory.ChildAbuseMaterial), Analyst(original.Files[1].Id, DecisionCategory.NonPertinent)], ReviewAudit(original.Id));
        await Store.Triage.DecideAsync([Analyst(original.Files[1].Id, DecisionCategory.CgiOrAnimation)], ReviewAudit(original.Id));
        await TriageAsync(Outcome(original));
        await TriageAsync(Outcome(copy) with { AutomaticDecisions = [Automatic(copy.Files[0].Id, DecisionCategory.ChildAbuseMaterial, analyst[0])] });

        var statistics = await Store.Triage.GetDecisionStatisticsAsync();
        Assert.Equal(new DecisionStatistics(5, 3, 2, 1), statistics);
        Assert.Equal(0.2, statistics.AutoResolvedShare, 6);
    }

    [Fact]
    public async Task Claims_decisions_and_settings_keep_the_audit_chain_intact_across_a_restart()
    {
        var report = await ProcessedAsync([Sha('a')]);
        await Store.Triage.DecideAsync([Analyst(report.Files[0].Id, DecisionCategory.NonPertinent)], ReviewAudit(report.Id));
        await Store.Triage.TryClaimAsync(report.Id, "alice", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(5), ClaimAudit("alice"));
        await ReopenAsync();
        await Store.Settings.SetSettingsAsync("org", "{}", TestData.AdminAudit("settings.set", "settings/org"));
        await Store.Triage.ReleaseClaimAsync(report.Id, "alice", force: false, ClaimAudit("alice", "claim.release"));

        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact);
        Assert.Equal(5, verification.EntriesChecked);
        Assert.Single(await Store.Triage.GetDecisionHistoryAsync(report.Files[0].Id));
    }

    protected static string Sha(char c) => new(c, 64);

    protected static string Md5(char c) => new(c, 32);

    /// <summary>Submits a report with one file per hash and completes its processing job (leaving its triage job pending).</summary>
    protected async Task<NewReport> ProcessedAsync(
        IReadOnlyList<string> sha256s,
        IReadOnlyList<string?>? pdqs = null,
        IReadOnlyList<string?>? md5s = null,
        string? organisation = null,
        ReportJurisdiction? jurisdiction = null,
        IReadOnlyList<StoredMatch>? matches = null)
    {
        var submission = new ReportSubmission
        {
            ExternalId = "triage",
            Reporter = organisation is null ? null : new Reporter { Organisation = organisation },
            Files = [.. sha256s.Select((_, i) => new SubmittedFile { Part = "file" + i, OriginalName = $"f{i}.jpg" })],
        };
        var report = TestData.Report(Time.GetUtcNow(), submission, mediaSize: 32);
        await SubmitAsync(report);
        var results = report.Files.Select((file, i) => new FileResult
        {
            FileId = file.Id,
            State = FileState.Hashed,
            Sha256 = sha256s[i],
            Md5 = md5s?[i] ?? sha256s[i][..32],
            Pdq = pdqs?[i],
            PdqQuality = pdqs?[i] is null ? null : 90,
            Matches = i == 0 && matches is not null ? matches : [],
        }).ToList();
        Assert.True(await Store.Jobs.CompleteReportAsync(await JobAsync(JobKinds.ProcessReport, report.Id), results, jurisdiction, CancellationToken.None));
        return report;
    }

    /// <summary>The leased job of this kind and subject: one leased earlier, or leased now (holding the others leased on the way).</summary>
    protected async Task<LeasedJob> JobAsync(string kind, Guid subject, TimeSpan? lease = null)
    {
        if (_held.Remove((kind, subject), out var job))
        {
            return job;
        }

        while (await Store.Jobs.TryLeaseAsync("test", lease ?? LongLease) is { } next)
        {
            if (next.Kind == kind && next.SubjectId == subject)
            {
                return next;
            }

            _held[(next.Kind, next.SubjectId)] = next;
        }

        throw new InvalidOperationException($"No {kind} job for {subject}.");
    }

    protected async Task TriageAsync(TriageOutcome outcome) =>
        Assert.True(await Store.Triage.CompleteTriageAsync(await JobAsync(JobKinds.TriageReport, outcome.ReportId), outcome));

    protected TriageOutcome Outcome(NewReport report, PriorityScore? score = null, IReadOnlyList<LinkKey>? keys = null) => new()
    {
        ReportId = report.Id,
        Keys = keys ?? [],
        Links = [],
        AutomaticDecisions = [],
        Score = score ?? Score(10),
    };

    protected PriorityScore Score(double value, ReviewState state = ReviewState.AwaitingReview) =>
        new(value, [new ScoreReason("test", "test weight", value)], state, Time.GetUtcNow());

    protected ReportLink Link(NewReport from, NewReport to, LinkKind kind, string value, Guid? fileId = null, Guid? otherFileId = null, int? distance = null) =>
        new(from.Id, to.Id, kind, value, fileId, otherFileId, distance, Time.GetUtcNow());

    protected static LinkKey Email(string value) => new(LinkKind.Email, value, null);

    protected NewDecision Analyst(Guid fileId, DecisionCategory category, string? note = null, string actor = "reviewer-1") => new()
    {
        FileId = fileId,
        Category = category,
        Note = note,
        Source = DecisionSource.Analyst,
        Actor = actor,
        At = Time.GetUtcNow(),
    };

    protected NewDecision Automatic(Guid fileId, DecisionCategory category, FileDecision? basis) => new()
    {
        FileId = fileId,
        Category = category,
        Source = DecisionSource.SameHash,
        Actor = "system",
        At = Time.GetUtcNow(),
        BasedOn = basis?.Id,
        BasedOnFileId = basis?.FileId,
        BasedOnReason = "sha256",
    };

    protected static AuditEntryDraft ReviewAudit(Guid reportId) => new("reviewer-1", "decision.record", $"report/{reportId}", null, "192.0.2.1");

    protected static AuditEntryDraft ClaimAudit(string actor, string action = "claim.take") => new(actor, action, "report/claimed", null, "192.0.2.1");
}
