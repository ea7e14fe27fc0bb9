using System.Collections.Concurrent;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IJobQueue"/>.</summary>
public abstract class JobQueueContract : StoreContract
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task An_empty_queue_leases_nothing()
    {
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
        Assert.Equal(0, await Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task Jobs_are_leased_oldest_first_with_a_fresh_token()
    {
        var first = TestData.SmallReport(Time.GetUtcNow());
        var second = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(first);
        await SubmitAsync(second);

        var job = await LeaseAsync("w1");
        Assert.Equal(first.Id, job.SubjectId);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(Time.GetUtcNow() + Lease, job.LeasedUntil);
        Assert.NotEqual(Guid.Empty, job.LeaseToken);
        var next = await LeaseAsync("w2");
        Assert.Equal(second.Id, next.SubjectId);
        Assert.NotEqual(job.LeaseToken, next.LeaseToken);
        Assert.Null(await Store.Jobs.TryLeaseAsync("w3", Lease));
        Assert.Equal(2, await Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task An_escalated_report_overtakes_the_backlog_at_every_step_processing_triage_and_score()
    {
        var backlog = new List<NewReport>();
        for (var i = 0; i < 5; i++)
        {
            backlog.Add(TestData.SmallReport(Time.GetUtcNow(), files: 0));
            await SubmitAsync(backlog[^1]);
        }

        var urgent = TestData.SmallReport(Time.GetUtcNow(), escalate: true, files: 0);
        await SubmitAsync(urgent);
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.ScoreReport, backlog[0].Id));

        // Submitted last, processed first; its triage job (enqueued on completion) overtakes the rest too, and so does
        // its score job.
        var process = await LeaseAsync("w1");
        Assert.Equal((JobKinds.ProcessReport, urgent.Id), (process.Kind, process.SubjectId));
        Assert.True(await Store.Jobs.CompleteReportAsync(process, TestData.Results(urgent)));
        var triage = await LeaseAsync("w1");
        Assert.Equal((JobKinds.TriageReport, urgent.Id), (triage.Kind, triage.SubjectId));
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.ScoreReport, urgent.Id));
        var score = await LeaseAsync("w1");
        Assert.Equal((JobKinds.ScoreReport, urgent.Id), (score.Kind, score.SubjectId));

        // Then the backlog, oldest first, and a job about no report (priority normal) in its turn.
        foreach (var report in backlog)
        {
            var next = await LeaseAsync("w1");
            Assert.Equal((JobKinds.ProcessReport, report.Id), (next.Kind, next.SubjectId));
        }

        var last = await LeaseAsync("w1");
        Assert.Equal((JobKinds.ScoreReport, backlog[0].Id), (last.Kind, last.SubjectId));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w1", Lease));
    }

    [Fact]
    public async Task An_escalated_job_whose_lease_ran_out_is_taken_again_before_the_backlog()
    {
        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow(), files: 0));
        var urgent = TestData.SmallReport(Time.GetUtcNow(), escalate: true, files: 0);
        await SubmitAsync(urgent);
        Assert.Equal(urgent.Id, (await LeaseAsync("dies")).SubjectId);

        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var again = await LeaseAsync("w2");
        Assert.Equal(urgent.Id, again.SubjectId);
        Assert.Equal(2, again.Attempt);
    }

    [Fact]
    public async Task Each_lane_is_leased_on_its_own_and_a_report_s_triage_runs_in_the_general_lane()
    {
        var video = TestData.SmallReport(Time.GetUtcNow(), files: 0) with { Lane = JobLane.Video };
        var image = TestData.SmallReport(Time.GetUtcNow(), files: 0);
        var urgentVideo = TestData.SmallReport(Time.GetUtcNow(), escalate: true, files: 0) with { Lane = JobLane.Video };
        await SubmitAsync(video);
        await SubmitAsync(image);
        await SubmitAsync(urgentVideo);

        // The general lane has the image only, though the videos are older or escalated.
        var general = await Store.Jobs.TryLeaseAsync("general", Lease, JobLane.General, default);
        Assert.Equal(image.Id, general?.SubjectId);
        Assert.Null(await Store.Jobs.TryLeaseAsync("general", Lease, JobLane.General, default));

        // The video lane by priority, then age.
        var first = await Store.Jobs.TryLeaseAsync("video", Lease, JobLane.Video, default);
        Assert.Equal(urgentVideo.Id, first?.SubjectId);
        var second = await Store.Jobs.TryLeaseAsync("video", Lease, JobLane.Video, default);
        Assert.Equal(video.Id, second?.SubjectId);
        Assert.Null(await Store.Jobs.TryLeaseAsync("video", Lease, JobLane.Video, default));

        // The video report's triage is short: the general lane runs it.
        Assert.True(await Store.Jobs.CompleteReportAsync(first!, TestData.Results(urgentVideo)));
        var triage = await Store.Jobs.TryLeaseAsync("general", Lease, JobLane.General, default);
        Assert.Equal((JobKinds.TriageReport, urgentVideo.Id), (triage?.Kind, triage?.SubjectId));

        // A video job whose lease ran out is taken again in its own lane only.
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        Assert.Equal(triage!.Id, (await Store.Jobs.TryLeaseAsync("general-2", Lease, JobLane.General, default))?.Id);
        Assert.Equal(image.Id, (await Store.Jobs.TryLeaseAsync("general-2", Lease, JobLane.General, default))?.SubjectId);
        Assert.Null(await Store.Jobs.TryLeaseAsync("general-2", Lease, JobLane.General, default));
        var again = await Store.Jobs.TryLeaseAsync("video-2", Lease, JobLane.Video, default);
        Assert.Equal((video.Id, 2), (again?.SubjectId, again?.Attempt));
    }

    [Fact]
    public async Task A_job_with_nothing_to_write_is_completed_only_while_its_lease_is_held()
    {
        Assert.True(await Store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty));
        var stalled = await LeaseAsync("w1");
        Assert.Equal(JobKinds.RescoreOpenReports, stalled.Kind);

        // Its lease runs out and another worker takes the job: the first can no longer complete it.
        Time.Advance(Lease + TimeSpan.FromSeconds(1));
        var job = await LeaseAsync("w2");
        Assert.False(await Store.Jobs.CompleteAsync(stalled));
        Assert.Equal(1, await Store.Jobs.CountOpenAsync());

        Assert.True(await Store.Jobs.CompleteAsync(job));
        Assert.False(await Store.Jobs.CompleteAsync(job));
        Assert.Equal(0, await Store.Jobs.CountOpenAsync());
        Assert.Null(await Store.Jobs.TryLeaseAsync("w3", Lease));
    }

    [Fact]
    public async Task Concurrent_workers_never_get_the_same_job()
    {
        const int Jobs = 40;
        for (var i = 0; i < Jobs; i++)
        {
            await SubmitAsync(TestData.SmallReport(Time.GetUtcNow(), files: 0));
        }

        var leased = new ConcurrentBag<LeasedJob>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            while (await Store.Jobs.TryLeaseAsync("worker-" + w, Lease) is { } job)
            {
                leased.Add(job);
            }
        })));

        Assert.Equal(Jobs, leased.Count);
        Assert.Equal(Jobs, leased.Select(j => j.Id).Distinct().Count());
        Assert.Equal(Jobs, leased.Select(j => j.SubjectId).Distinct().Count());
    }

    [Fact]
    public async Task Completion_writes_the_results_marks_the_report_processed_and_closes_the_job()
    {
        var report = TestData.Report(Time.GetUtcNow());
        await SubmitAsync(report);
        var job = await LeaseAsync();
        Time.Advance(TimeSpan.FromSeconds(3));
        var results = TestData.Results(report, TestData.Match("known", 7, distance: 12), TestData.Match("allow", 2, allowList: true));
        Assert.True(await Store.Jobs.CompleteReportAsync(job, results));

        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(ReportStatus.Processed, stored.Status);
        Assert.Equal(Time.GetUtcNow(), stored.ProcessedAt);
        for (var i = 0; i < results.Count; i++)
        {
            var expected = results[i];
            var file = stored.Files[i];
            Assert.Equal(expected.State, file.State);
            Assert.Equal(expected.Error, file.Error);
            Assert.Equal(expected.Md5, file.Md5);
            Assert.Equal(expected.Sha1, file.Sha1);
            Assert.Equal(expected.Sha256, file.Sha256);
            Assert.Equal(expected.Pdq, file.Pdq);
            Assert.Equal(expected.PdqQuality, file.PdqQuality);
            Assert.Equal(expected.Width, file.Width);
            Assert.Equal(expected.Height, file.Height);
            Assert.Equal(expected.Format, file.Format);
            Assert.Equal(expected.Matches, file.Matches);
        }

        Assert.Equal(results[0].Matches, (await Store.Reports.GetFileAsync(report.Files[0].Id))!.Matches);

        // The processing job is closed, and the report's triage job came with the same commit.
        Assert.Equal(1, await Store.Jobs.CountOpenAsync());
        var triage = await LeaseAsync();
        Assert.Equal((JobKinds.TriageReport, report.Id), (triage.Kind, triage.SubjectId));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));

        // Exactly once: the same completion again is refused and changes nothing (only the unfinished triage job comes back).
        Time.Advance(TimeSpan.FromMinutes(10));
        Assert.False(await Store.Jobs.CompleteReportAsync(job, TestData.Results(report)));
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromMinutes(10), (await Store.Reports.GetAsync(report.Id))!.ProcessedAt);
        Assert.Equal(2, (await Store.Reports.GetFileAsync(report.Files[0].Id))!.Matches.Count);
        Assert.Equal(triage.Id, (await LeaseAsync()).Id);
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
    }

    [Fact]
    public async Task An_unreadable_file_keeps_its_error()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 1);
        await SubmitAsync(report);
        var job = await LeaseAsync();
        FileResult[] results = [new FileResult { FileId = report.Files[0].Id, State = FileState.Unreadable, Error = "truncated JPEG", Md5 = new string('9', 32) }];
        Assert.True(await Store.Jobs.CompleteReportAsync(job, results));
        var file = await Store.Reports.GetFileAsync(report.Files[0].Id);
        Assert.Equal(FileState.Unreadable, file!.State);
        Assert.Equal("truncated JPEG", file.Error);
        Assert.Null(file.Pdq);
    }

    [Fact]
    public async Task An_expired_lease_is_leased_again_and_the_old_holder_can_change_nothing()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        var first = await LeaseAsync("w1", TimeSpan.FromMinutes(1));

        Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w2", Lease));
        Time.Advance(TimeSpan.FromSeconds(2));
        var second = await LeaseAsync("w2");
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, second.Attempt);
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        // The stale holder: its completion is refused and writes nothing, its renewal and release do nothing.
        Assert.False(await Store.Jobs.CompleteReportAsync(first, TestData.Results(report, TestData.Match("known"))));
        var untouched = await Store.Reports.GetAsync(report.Id);
        Assert.Equal(ReportStatus.Received, untouched!.Status);
        Assert.All(untouched.Files, f => Assert.Null(f.Md5));
        Assert.All(untouched.Files, f => Assert.Empty(f.Matches));
        Assert.Empty((await Store.Reports.ListAsync(new ReportQuery { ListName = "known" })).Items);
        Assert.False(await Store.Jobs.RenewAsync(first, Lease));
        await Store.Jobs.ReleaseAsync(first, "stale", TimeSpan.Zero);
        Assert.Null(await Store.Jobs.TryLeaseAsync("w3", Lease));

        Assert.True(await Store.Jobs.CompleteReportAsync(second, TestData.Results(report)));
        Assert.Equal(JobKinds.TriageReport, (await LeaseAsync()).Kind);
        Assert.Null(await Store.Jobs.TryLeaseAsync("w3", Lease));
    }

    [Fact]
    public async Task Renewal_extends_a_lease_still_held()
    {
        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()));
        var job = await LeaseAsync("w1", TimeSpan.FromMinutes(1));
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.True(await Store.Jobs.RenewAsync(job, TimeSpan.FromMinutes(1)));
        Time.Advance(TimeSpan.FromSeconds(50));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w2", Lease));
        Time.Advance(TimeSpan.FromSeconds(11));
        Assert.NotNull(await Store.Jobs.TryLeaseAsync("w2", Lease));
    }

    [Fact]
    public async Task A_job_released_uncounted_for_a_full_database_is_never_parked_and_runs_again_after_the_delay()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        for (var round = 1; round <= MaxJobAttempts * 2; round++)
        {
            var job = await LeaseAsync();
            Assert.Equal(1, job.Attempt);
            await Store.Jobs.ReleaseUncountedAsync(job, "the database is full", TimeSpan.FromSeconds(30));
            Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
            Assert.Equal(1, await Store.Jobs.CountOpenAsync());
            Time.Advance(TimeSpan.FromSeconds(31));
        }

        // A counted failure after the outage is the first attempt's.
        var after = await LeaseAsync();
        Assert.Equal(1, after.Attempt);
    }

    [Fact]
    public async Task A_released_job_runs_again_after_the_delay_and_is_parked_after_the_last_attempt()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        for (var attempt = 1; attempt <= MaxJobAttempts; attempt++)
        {
            var job = await LeaseAsync();
            Assert.Equal(attempt, job.Attempt);
            await Store.Jobs.ReleaseAsync(job, $"failure {attempt}", TimeSpan.FromSeconds(30));
            Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
            Time.Advance(TimeSpan.FromSeconds(31));
        }

        // Parked as failed: no longer open, never leased again.
        Assert.Equal(0, await Store.Jobs.CountOpenAsync());
        Time.Advance(TimeSpan.FromDays(1));
        Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
        Assert.Equal(ReportStatus.Received, (await Store.Reports.GetAsync(report.Id))!.Status);
    }

    [Fact]
    public async Task A_job_whose_leases_keep_expiring_is_parked()
    {
        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()));
        for (var attempt = 1; attempt <= MaxJobAttempts; attempt++)
        {
            Assert.Equal(attempt, (await LeaseAsync(lease: TimeSpan.FromMinutes(1))).Attempt);
            Time.Advance(TimeSpan.FromMinutes(2));
        }

        Assert.Null(await Store.Jobs.TryLeaseAsync("w", Lease));
        Assert.Equal(0, await Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task A_result_for_a_file_of_another_report_is_refused_whole()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        var other = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        await SubmitAsync(other);
        var job = await LeaseAsync();
        var results = TestData.Results(report).Concat(TestData.Results(other)).ToList();

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => Store.Jobs.CompleteReportAsync(job, results));
        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.Equal(ReportStatus.Received, stored!.Status);
        Assert.All(stored.Files, f => Assert.Null(f.Md5));
        Assert.Equal(2, await Store.Jobs.CountOpenAsync());
        Assert.True(await Store.Jobs.CompleteReportAsync(job, TestData.Results(report)));
    }

    [Fact]
    public async Task Jobs_of_abandoned_workers_are_given_back_at_once_keeping_their_attempt_and_other_leases()
    {
        var dead = TestData.SmallReport(Time.GetUtcNow());
        var alive = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(dead);
        await SubmitAsync(alive);
        var deadJob = await LeaseAsync("host/100/1");
        var aliveJob = await LeaseAsync("host/200/1");

        Assert.Equal(1, await Store.Jobs.ReleaseAbandonedAsync(w => w.StartsWith("host/100/", StringComparison.Ordinal), "crashed"));

        // Leasable now, long before its lease would have run out; the attempt it crashed in still counts.
        var again = await LeaseAsync("host/300/1");
        Assert.Equal(deadJob.Id, again.Id);
        Assert.Equal(2, again.Attempt);
        Assert.Null(await Store.Jobs.TryLeaseAsync("host/300/2", Lease));

        // The dead worker can change nothing any more; the live one keeps its lease and completes.
        Assert.False(await Store.Jobs.CompleteReportAsync(deadJob, TestData.Results(dead)));
        Assert.True(await Store.Jobs.CompleteReportAsync(aliveJob, TestData.Results(alive)));
        Assert.True(await Store.Jobs.CompleteReportAsync(again, TestData.Results(dead)));
        Assert.Equal(0, await Store.Jobs.ReleaseAbandonedAsync(_ => true, "crashed"));

        // What is left open: the triage jobs of the two processed reports.
        Assert.Equal(2, await Store.Jobs.CountOpenAsync());
    }
}
