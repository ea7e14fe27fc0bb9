using Needle.Application.Intake;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// The flood: a real backlog (hundreds of reports of real images, their jobs queued first) and then
/// an escalated report. Two workers, one running the video lane first, take jobs as the server's do; the escalated
/// report is processed, triaged and scored before any report of the backlog is processed. Order only, no timing.
/// </summary>
public abstract class FloodOrderTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private const int Backlog = 300;

    [Fact]
    public async Task An_escalated_report_sent_after_a_backlog_is_processed_and_scored_before_any_of_it()
    {
        await using var h = await CreateHarnessAsync();
        var images = Enumerable.Range(0, 8).Select(i => TestImages.Generated(100 + i, 160, 120)).ToArray();
        var backlog = new List<Guid>();
        for (var i = 0; i < Backlog; i++)
        {
            var media = new IncomingMedia("f0", $"flood-{i}.jpg", "image/jpeg", images[i % images.Length]);
            backlog.Add((await h.Intake.SubmitAsync(new ReportSubmission { ExternalId = $"flood-{i}" }, [media], TriageHarness.Submitter, null, null)).ReportId);
        }

        var urgent = (await h.Intake.SubmitAsync(
            new ReportSubmission { Escalate = true, EscalationReason = "a child in danger" },
            [new IncomingMedia("f0", "urgent.jpg", "image/jpeg", TestImages.Generated(7, 320, 240))],
            TriageHarness.Submitter, null, null)).ReportId;
        Assert.True(await h.Store.Jobs.CountOpenAsync() > Backlog);

        // Jobs run one at a time, alternating between a general-lane worker and a video-first worker, until the urgent
        // report has its score.
        var ran = new List<(string Kind, Guid Subject)>();
        IReadOnlyList<int>[] workers = [[JobLane.General], [JobLane.Video, JobLane.General]];
        for (var turn = 0; await h.Store.Triage.GetScoreAsync(urgent) is null; turn++)
        {
            Assert.True(turn < 20, $"the urgent report was not scored after {turn} jobs: {string.Join(", ", ran)}");
            LeasedJob? job = null;
            foreach (var lane in workers[turn % 2])
            {
                job ??= await h.Store.Jobs.TryLeaseAsync($"worker-{turn % 2}", TimeSpan.FromMinutes(2), lane, default);
            }

            Assert.NotNull(job);
            ran.Add((job.Kind, job.SubjectId));
            await h.Dispatcher.ProcessAsync(job);
        }

        Assert.All(ran, r => Assert.Equal(urgent, r.Subject));
        Assert.Equal((JobKinds.ProcessReport, urgent), ran[0]);
        Assert.Equal(ReportStatus.Processed, (await h.Store.Reports.GetAsync(urgent))!.Status);
        foreach (var id in backlog)
        {
            Assert.Equal(ReportStatus.Received, (await h.Store.Reports.GetAsync(id))!.Status);
        }

        // And then the backlog, oldest first.
        var next = await h.Store.Jobs.TryLeaseAsync("worker-0", TimeSpan.FromMinutes(2));
        Assert.Equal((JobKinds.ProcessReport, backlog[0]), (next?.Kind, next?.SubjectId));
    }
}

public sealed class FloodOrderTests_on_Sqlite() : FloodOrderTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class FloodOrderTests_on_Postgres(PostgresServer server) : FloodOrderTests(StoreBackend.Postgres(server));
