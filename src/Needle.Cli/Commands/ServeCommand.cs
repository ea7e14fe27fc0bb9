using Microsoft.Extensions.DependencyInjection;
using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Needle.Cli.Infrastructure;
using Needle.Core.Storage;
using Needle.Server;
using Needle.Server.UrlFetch;

namespace Needle.Cli.Commands;

/// <summary><c>needle serve</c>: run the HTTP API (reports, lists, lookup, HMA-compatible routes) until Ctrl+C.</summary>
internal static class ServeCommand
{
    public const string DefaultDatabase = "needle.db";
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static Option<string> DatabaseOption() => new NodeOptionSet().Database;

    public static Command Create(CliContext context)
    {
        var node = new NodeOptionSet();
        var urls = new Option<string[]>("--urls")
        {
            Description = $"Address(es) to listen on; repeatable or ';'-separated. Default: {DefaultUrl} (loopback only).",
            HelpName = "URL",
            DefaultValueFactory = _ => [DefaultUrl],
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Background workers processing reports in this process. Default: 2. 0: an API-only node (run 'needle worker' elsewhere).",
            HelpName = "N",
            DefaultValueFactory = _ => 2,
        };
        var videoWorkers = new Option<int>("--video-workers")
        {
            Description = "How many of the workers run the video lane (reports holding a video); the others never take a video, so images are not stuck behind videos. 1 to --workers. Default: 1.",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
        };
        var sessionIdle = new Option<int>("--session-idle")
        {
            Description = "Minutes without a request after which a review-page session ends. Default: 30.",
            HelpName = "MINUTES",
            DefaultValueFactory = _ => 30,
        };
        var sessionHours = new Option<int>("--session-hours")
        {
            Description = "Hours after sign-in at which a review-page session ends however active. Default: 8.",
            HelpName = "HOURS",
            DefaultValueFactory = _ => 8,
        };
        var rateLimits = new Option<string[]>("--rate-limit")
        {
            Description = "A rate limit, repeatable: [ROLE:]CLASS=PERMITS/WINDOW per key (CLASS intake, lookup, sign-in or other; ROLE submitter, reviewer, admin, auditor or integration), "
                + "address:CLASS=PERMITS/WINDOW per client address, LIMIT 'none' to lift one, or 'off' for none at all. Example: --rate-limit submitter:intake=600/1m. Defaults: docs/api.md.",
            HelpName = "SPEC",
        };
        var fetchHosts = new Option<string[]>("--fetch-url-host")
        {
            Description = "Let the HMA routes fetch media by URL (?url=) from this host and its subdomains; repeatable; '*' for any host. "
                + "Off by default. Only public addresses are ever contacted (checked at connect time and on every redirect).",
            HelpName = "HOST",
        };
        var fetchMaxMb = new Option<int>("--fetch-url-max-mb")
        {
            Description = "Largest media body fetched by URL, in MiB. Default: 32.",
            HelpName = "MIB",
            DefaultValueFactory = _ => 32,
        };
        var command = new Command("serve", "Run the Needle HTTP API and the review pages (and, unless --workers 0, background workers) on the given database until interrupted.")
        {
            urls, workers, videoWorkers, sessionIdle, sessionHours, rateLimits, fetchHosts, fetchMaxMb,
        };
        node.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workerCount = parse.GetValue(workers);
            if (workerCount < 0)
            {
                context.Error.WriteLine("error: --workers must be 0 or more");
                return ExitCodes.Usage;
            }

            var videoWorkerCount = parse.GetValue(videoWorkers);
            if (workerCount > 0 && (videoWorkerCount < 1 || videoWorkerCount > workerCount))
            {
                context.Error.WriteLine("error: --video-workers must be 1 to --workers");
                return ExitCodes.Usage;
            }

            var idleMinutes = parse.GetValue(sessionIdle);
            var lifetimeHours = parse.GetValue(sessionHours);
            if (idleMinutes < 1 || lifetimeHours < 1 || TimeSpan.FromHours(lifetimeHours) < TimeSpan.FromMinutes(idleMinutes))
            {
                context.Error.WriteLine("error: --session-idle must be 1 minute or more and --session-hours at least as long");
                return ExitCodes.Usage;
            }

            var limits = new RateLimitOptions();
            foreach (var spec in parse.GetValue(rateLimits) ?? [])
            {
                try
                {
                    limits = limits.With(spec);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
                {
                    context.Error.WriteLine($"error: --rate-limit: {ex.Message}");
                    return ExitCodes.Usage;
                }
            }

            var hosts = parse.GetValue(fetchHosts) ?? [];
            var maxMb = parse.GetValue(fetchMaxMb);
            if (maxMb < 1 || hosts.Any(string.IsNullOrWhiteSpace))
            {
                context.Error.WriteLine("error: --fetch-url-max-mb must be 1 or more and --fetch-url-host a host name");
                return ExitCodes.Usage;
            }

            if (node.Read(parse, context) is not { } nodeOptions)
            {
                return ExitCodes.Usage;
            }

            var options = nodeOptions with
            {
                Urls = [.. (parse.GetValue(urls) ?? [DefaultUrl]).SelectMany(u => u.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                Workers = workerCount,
                VideoWorkers = Math.Max(1, videoWorkerCount),
                SessionIdleTimeout = TimeSpan.FromMinutes(idleMinutes),
                SessionLifetime = TimeSpan.FromHours(lifetimeHours),
                RateLimits = limits,
                UrlFetch = new UrlFetchOptions { Enabled = hosts.Length > 0, AllowedHosts = hosts, MaxBytes = maxMb * 1024L * 1024 },
            };

            try
            {
                await using var app = await NeedleServer.BuildAsync(options, cancellationToken).ConfigureAwait(false);
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                foreach (var address in NeedleServer.Addresses(app))
                {
                    context.Error.WriteLine($"needle: listening on {address} (database {app.Services.GetRequiredService<StoreDescription>().Name}, {NodeOptionSet.Describe(workerCount, "worker")}); review pages at {address.TrimEnd('/')}/");
                }

                // Returns on Ctrl+C (the CLI's token) or SIGTERM/SIGINT (the host's console lifetime), having stopped
                // Kestrel and the workers.
                using var stopping = app.Lifetime.ApplicationStopping.Register(() => context.Error.WriteLine("needle: shutting down"));
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
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
