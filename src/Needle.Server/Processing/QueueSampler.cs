using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Telemetry;
using Needle.Core.Storage;

namespace Needle.Server.Processing;

/// <summary>
/// Samples the job queue's depth and oldest waiting job by lane and priority every
/// <see cref="NeedleServerOptions.MetricsSampleInterval"/> for the metrics (a gauge cannot wait for the database).
/// </summary>
internal sealed partial class QueueSampler(INeedleStore store, NeedleMetrics metrics, NeedleServerOptions options, ILogger<QueueSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                metrics.QueueSampled(await store.Jobs.GetDepthAsync(stoppingToken).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database away for a moment: the gauges keep the last sample.
                LogSampleFailed(logger, ex);
            }

            try
            {
                await Task.Delay(options.MetricsSampleInterval, options.TimeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sample the job queue for the metrics; the last sample stays")]
    private static partial void LogSampleFailed(ILogger logger, Exception exception);
}
