using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Needle.Cli.Infrastructure;
using Needle.Server;

namespace Needle.Cli.Commands;

/// <summary><c>needle serve</c>: run the HTTP API (reports, lists, lookup, HMA-compatible routes) until Ctrl+C.</summary>
internal static class ServeCommand
{
    public const string DefaultDatabase = "needle.db";
    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static Option<string> DatabaseOption() => new("--db")
    {
        Description = $"The SQLite database file (created if missing). Default: {DefaultDatabase}.",
        HelpName = "PATH",
        DefaultValueFactory = _ => DefaultDatabase,
    };

    public static Command Create(CliContext context)
    {
        var db = DatabaseOption();
        var urls = new Option<string[]>("--urls")
        {
            Description = $"Address(es) to listen on; repeatable or ';'-separated. Default: {DefaultUrl} (loopback only).",
            HelpName = "URL",
            DefaultValueFactory = _ => [DefaultUrl],
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Background workers processing reports. Default: 2.",
            HelpName = "N",
            DefaultValueFactory = _ => 2,
        };
        var mediaKey = new Option<string?>("--media-key")
        {
            Description = "The media encryption key file (default: the database path + .key, created 0600). NEEDLE_MEDIA_KEY (base64) wins when set.",
            HelpName = "FILE",
        };
        var ipDb = new Option<string?>("--ip-db")
        {
            Description = $"The IP-to-country database (.mmdb) for IP clues. Default: ${Needle.Geo.GeoDataPaths.IpDatabaseVariable}, else the one scripts/fetch-geodata.sh installs. Missing: a warning, no IP clues.",
            HelpName = "FILE",
        };
        var routing = new Option<string?>("--routing")
        {
            Description = "Jurisdiction routing rules (JSON: ordered rules by country and region naming a queue and an agency, plus a default). Default: every report to the \"international\" queue.",
            HelpName = "FILE",
        };
        var scoring = new Option<string?>("--scoring")
        {
            Description = "Triage scoring options (JSON: weights of each reason, near-duplicate distance, claim duration, list names). Default: the built-in weights.",
            HelpName = "FILE",
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
        var command = new Command("serve", "Run the Needle HTTP API and the review pages on the given database until interrupted.")
        {
            db, urls, workers, mediaKey, ipDb, routing, scoring, sessionIdle, sessionHours,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var workerCount = parse.GetValue(workers);
            if (workerCount < 0)
            {
                context.Error.WriteLine("error: --workers must be 0 or more");
                return ExitCodes.Usage;
            }

            var idleMinutes = parse.GetValue(sessionIdle);
            var lifetimeHours = parse.GetValue(sessionHours);
            if (idleMinutes < 1 || lifetimeHours < 1 || TimeSpan.FromHours(lifetimeHours) < TimeSpan.FromMinutes(idleMinutes))
            {
                context.Error.WriteLine("error: --session-idle must be 1 minute or more and --session-hours at least as long");
                return ExitCodes.Usage;
            }

            var databasePath = InputPaths.Resolve(parse.GetValue(db)!, context.WorkingDirectory);
            var options = new NeedleServerOptions
            {
                DatabasePath = databasePath,
                Urls = [.. (parse.GetValue(urls) ?? [DefaultUrl]).SelectMany(u => u.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                Workers = workerCount,
                MediaKeyPath = parse.GetValue(mediaKey) is { } key ? InputPaths.Resolve(key, context.WorkingDirectory) : null,
                IpDatabasePath = parse.GetValue(ipDb) is { } ip ? InputPaths.Resolve(ip, context.WorkingDirectory) : null,
                RoutingPath = parse.GetValue(routing) is { } rules ? InputPaths.Resolve(rules, context.WorkingDirectory) : null,
                ScoringPath = parse.GetValue(scoring) is { } weights ? InputPaths.Resolve(weights, context.WorkingDirectory) : null,
                SessionIdleTimeout = TimeSpan.FromMinutes(idleMinutes),
                SessionLifetime = TimeSpan.FromHours(lifetimeHours),
                TimeProvider = context.Time,
                Notices = context.Out,
                Warnings = context.Error,
            };

            try
            {
                await using var app = await NeedleServer.BuildAsync(options, cancellationToken).ConfigureAwait(false);
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                foreach (var address in NeedleServer.Addresses(app))
                {
                    context.Error.WriteLine($"needle: listening on {address} (database {databasePath}); review pages at {address.TrimEnd('/')}/");
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
            catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException or InvalidDataException)
            {
                context.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.SomeFilesFailed;
            }
        });
        return command;
    }
}
