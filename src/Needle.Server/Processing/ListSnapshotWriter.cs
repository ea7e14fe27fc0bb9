using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Lists;

namespace Needle.Server.Processing;

/// <summary>
/// Writes this node's list snapshots on a clean shutdown (when <see cref="NeedleServerOptions.ListSnapshotDirectory"/>
/// is set), so the next start loads them and applies only the changes made after. The service refreshes them in the
/// background as changes accumulate; a killed node starts from the last refresh and the change log.
/// </summary>
internal sealed partial class ListSnapshotWriter(HashListService matchers, ILogger<ListSnapshotWriter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await matchers.WriteSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogStopped(logger);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown cut the list snapshot write short; the next start uses the previous snapshots and the change log")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the list snapshots at shutdown; the next start uses the previous snapshots and the change log")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
