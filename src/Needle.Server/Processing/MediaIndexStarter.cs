using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Triage;

namespace Needle.Server.Processing;

/// <summary>
/// On a node with report workers: fills the near-duplicate media index in the background as the node starts (from its
/// snapshot when <see cref="NeedleServerOptions.ListSnapshotDirectory"/> is set, then the files stored after it), so
/// the first triage does not pay for it, and writes the index's snapshot on a clean shutdown.
/// </summary>
internal sealed partial class MediaIndexStarter(NearDuplicateMediaIndex index, ILogger<MediaIndexStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leave the host's start-up path at once.
        await Task.Yield();
        try
        {
            await index.CatchUpAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The database away for a moment: the first triage catches up instead.
            LogStartFailed(logger, ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await index.WriteSnapshotAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopped(logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            LogWriteFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fill the near-duplicate media index at start; the first triage reads it")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown cut the near-duplicate media index snapshot write short; the next start uses the previous snapshot and the database")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the near-duplicate media index snapshot at shutdown; the next start uses the previous snapshot and the database")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception);
}
