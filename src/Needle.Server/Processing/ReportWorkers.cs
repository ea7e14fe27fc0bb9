using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Triage;

namespace Needle.Server.Processing;

/// <summary>
/// Runs N workers that take report jobs from the durable queue. An idle worker sleeps briefly (on the injected clock)
/// before polling again; on shutdown the token stops every loop, and a job cut short is simply leased again later.
/// </summary>
internal sealed class ReportWorkers(ReportProcessor processor, NeedleServerOptions options, ILogger<ReportWorkers> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var host = Environment.MachineName;
        return Task.WhenAll(Enumerable.Range(1, options.Workers).Select(n => RunAsync($"{host}/{Environment.ProcessId}/{n}", stoppingToken)));
    }

    private async Task RunAsync(string workerId, CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked;
            try
            {
                worked = await processor.ProcessNextAsync(workerId, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failing job is released by the processor; this guards the loop against the rest (the database
                // being away for a moment), so one error never stops processing for good.
                logger.LogError(ex, "Worker {Worker} failed; retrying after a pause", workerId);
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
}
