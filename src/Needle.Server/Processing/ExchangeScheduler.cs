using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Exchanges;
using Needle.Core.Storage;

namespace Needle.Server.Processing;

/// <summary>
/// Queues a fetch job for every enabled exchange that is due, every <see cref="NeedleServerOptions.ExchangePollInterval"/>
/// (any worker of any node then runs it; the queue keeps one pending job per exchange). At start it frees the exchange
/// leases of fetches whose process died (a crash or kill), so their exchanges are fetched again at once.
/// </summary>
internal sealed partial class ExchangeScheduler(ExchangeService exchanges, INeedleStore store, NeedleServerOptions options, ILogger<ExchangeScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        var host = Environment.MachineName;
        var self = Environment.ProcessId;
        try
        {
            var released = await store.Exchanges.ReleaseAbandonedAsync(holder => WorkerIdentity.IsAbandoned(holder, host, self, WorkerIdentity.IsRunning), stoppingToken).ConfigureAwait(false);
            if (released > 0)
            {
                LogFreed(logger, released);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // Not fatal: those exchanges are fetched again when their leases run out.
            LogFreeFailed(logger, ex);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await exchanges.EnqueueDueAsync(stoppingToken).ConfigureAwait(false);
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
                await Task.Delay(options.ExchangePollInterval, options.TimeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Freed {Count} exchange(s) held by fetches of a process that ended (a crash or kill)")]
    private static partial void LogFreed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not free the exchanges of dead fetches; they are fetched again when their leases expire")]
    private static partial void LogFreeFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not queue the due exchange fetches; retrying")]
    private static partial void LogScheduleFailed(ILogger logger, Exception exception);
}
