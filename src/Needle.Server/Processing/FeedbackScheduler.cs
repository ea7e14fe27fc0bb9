using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Server.Processing;

/// <summary>
/// Queues a feedback send job whenever some exchange feedback is due, every
/// <see cref="NeedleServerOptions.ExchangeFeedbackPollInterval"/>: the feedback given back for a later attempt, or held by
/// a sender that died. (New feedback queues its job itself.) Any worker of any node runs the job.
/// </summary>
internal sealed partial class FeedbackScheduler(INeedleStore store, NeedleServerOptions options, ILogger<FeedbackScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        var time = options.TimeProvider;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await store.ExchangeFeedback.NextDueAsync(stoppingToken).ConfigureAwait(false) is { } due && due <= time.GetUtcNow())
                {
                    await store.Jobs.EnqueueAsync(JobKinds.SendExchangeFeedback, Guid.Empty, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database away for a moment: the next round tries again.
                LogScheduleFailed(logger, ex);
            }

            try
            {
                await Task.Delay(options.ExchangeFeedbackPollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not queue the due exchange feedback; retrying")]
    private static partial void LogScheduleFailed(ILogger logger, Exception exception);
}
