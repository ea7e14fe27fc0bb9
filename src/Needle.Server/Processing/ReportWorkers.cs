using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Processing;
using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Server.Processing;

/// <summary>
/// Runs N workers that take jobs of every kind from the durable queue (report processing, triage, scores; see
/// <see cref="JobDispatcher"/>), in lanes: <see cref="NeedleServerOptions.VideoWorkers"/> of them run the video lane
/// first, the others never do, so a video backlog cannot hold every worker. An idle worker sleeps briefly (on the injected clock)
/// before polling again; on shutdown the token stops every loop, and a job cut short is simply leased again later.
/// At start, jobs still leased by dead workers of this host (the server was killed mid-job) are given back at once
/// rather than after their lease runs out.
/// </summary>
internal sealed partial class ReportWorkers(JobDispatcher processor, INeedleStore store, NeedleServerOptions options, ILogger<ReportWorkers> logger) : BackgroundService
{
    private static readonly IReadOnlyList<int> VideoThenGeneral = [JobLane.Video, JobLane.General];
    private static readonly IReadOnlyList<int> GeneralOnly = [JobLane.General];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        var host = Environment.MachineName;
        var self = Environment.ProcessId;
        try
        {
            var released = await store.Jobs.ReleaseAbandonedAsync(
                leasedBy => WorkerIdentity.IsAbandoned(leasedBy, host, self, WorkerIdentity.IsRunning),
                "the worker's process ended while it held the job",
                stoppingToken).ConfigureAwait(false);
            if (released > 0)
            {
                LogGaveBackJobs(logger, released);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // Not fatal: those jobs are leased again when their leases run out.
            LogGiveBackFailed(logger, ex);
        }

        // The first VideoWorkers workers run the video lane first and the general lane when no video waits; the rest run
        // the general lane only. A lone worker runs both.
        await Task.WhenAll(Enumerable.Range(1, options.Workers).Select(n =>
            RunAsync(WorkerIdentity.Create(host, self, n), n <= options.VideoWorkers ? VideoThenGeneral : GeneralOnly, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunAsync(string workerId, IReadOnlyList<int> lanes, CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked;
            try
            {
                worked = await processor.ProcessNextAsync(workerId, lanes, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failing job is released by the processor; this guards the loop against the rest (the database
                // being away for a moment), so one error never stops processing for good.
                LogWorkerFailed(logger, ex, workerId);
                worked = false;
            }

            if (!worked)
            {
                try
                {
                    await Task.Delay(options.WorkerIdleDelay, options.TimeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gave back {Count} job(s) leased by workers of a process that ended (a crash or kill)")]
    private static partial void LogGaveBackJobs(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not give back the jobs of dead workers; they run again when their leases expire")]
    private static partial void LogGiveBackFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Worker {Worker} failed; retrying after a pause")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string worker);
}
