using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Lists;
using Needle.Application.Telemetry;

namespace Needle.Server.Processing;

/// <summary>
/// Keeps this node's in-memory lists in step with the database's list change log: every
/// <see cref="NeedleServerOptions.ListPollInterval"/> (randomly 50-150 % of it, and a random first wait, so nodes
/// started together never poll or rebuild in lockstep) it applies the changes made by other nodes.
/// </summary>
internal sealed partial class ListFollower(HashListService matchers, NeedleServerOptions options, NeedleMetrics metrics, ILogger<ListFollower> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();

        // Jitter only, not security: an unseeded Random differs per process.
        var random = new Random();
        var interval = options.ListPollInterval;
        var wait = interval * random.NextDouble();
        while (true)
        {
            try
            {
                await Task.Delay(wait, options.TimeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                var before = matchers.Sequence;
                var read = await matchers.CatchUpAsync(stoppingToken).ConfigureAwait(false);
                if (read > 0)
                {
                    LogChangesApplied(logger, before + 1, matchers.Sequence);
                }

                metrics.ListsCaughtUp(matchers.Sequence);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database away for a moment: the lists stay as they are and the next poll tries again.
                LogReadFailed(logger, ex);
            }

            wait = interval * (0.5 + random.NextDouble());
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "List changes {From} to {To} applied (those of this node were in memory already)")]
    private static partial void LogChangesApplied(ILogger logger, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the list change log; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
