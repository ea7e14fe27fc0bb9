using Microsoft.Extensions.DependencyInjection;
using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Needle.Cli.Infrastructure;
using Needle.Core.Storage;
using Needle.Server;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle worker</c>: run only the background jobs (no API) on a shared database until SIGTERM or Ctrl+C. Any number
/// of workers on any number of machines may share one PostgreSQL database (or, on one machine, one SQLite file); each
/// follows the list change log so its index stays current.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create(CliContext context)
    {
        var node = new NodeOptionSet();
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Jobs processed at once by this process. Default: the number of CPUs.",
            HelpName = "N",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var videoWorkers = new Option<int>("--video-workers")
        {
            Description = "How many of the workers run the video lane (reports holding a video); the others never take a video. 1 to --concurrency. Default: 1.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var health = new Option<string?>("--health-url")
        {
            Description = "Serve /livez and /readyz (for probes) on this address, e.g. http://0.0.0.0:5081. Default: no port is opened.",
            HelpName = "URL",
        };
        var command = new Command(
            "worker",
            "Run background workers (hashing, matching, every job kind) on a shared database, without the API, until SIGTERM or Ctrl+C; jobs cut short are given back.")
        {
            concurrency,
            videoWorkers,
            health,
        };
        node.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workers = parse.GetValue(concurrency);
            if (workers < 1 || workers > 1024)
            {
                context.Error.WriteLine("error: --concurrency must be 1 to 1024");
                return ExitCodes.Usage;
            }

            var videoWorkerCount = parse.GetValue(videoWorkers);
            if (videoWorkerCount < 1 || videoWorkerCount > workers)
            {
                context.Error.WriteLine("error: --video-workers must be 1 to --concurrency");
                return ExitCodes.Usage;
            }

            if (node.Read(parse, context) is not { } nodeOptions)
            {
                return ExitCodes.Usage;
            }

            var options = nodeOptions with { Workers = workers, VideoWorkers = videoWorkerCount };
            IReadOnlyList<string>? healthUrls = parse.GetValue(health) is { } url ? [url] : null;
            try
            {
                using var host = await NeedleServer.BuildWorkerAsync(options, healthUrls, cancellationToken).ConfigureAwait(false);
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
                context.Error.WriteLine(
                    $"needle worker: {NodeOptionSet.Describe(workers, "worker")} on {host.Services.GetRequiredService<StoreDescription>().Name} as {Environment.MachineName}/{Environment.ProcessId}/1..{workers}" +
                    (healthUrls is null ? "" : $", health on {healthUrls[0]}"));

                // Returns on Ctrl+C (the CLI's token) or SIGTERM/SIGINT (the host's console lifetime), once every worker
                // stopped and gave back the job it held.
                var lifetime = (IHostApplicationLifetime?)host.Services.GetService(typeof(IHostApplicationLifetime));
                using var stopping = lifetime?.ApplicationStopping.Register(() => context.Error.WriteLine("needle worker: stopping"));
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or InvalidDataException or ArgumentException or Npgsql.NpgsqlException)
            {
                context.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.SomeFilesFailed;
            }
        });
        return command;
    }
}
