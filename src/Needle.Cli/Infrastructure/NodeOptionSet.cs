using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Needle.Server;
using Needle.Storage.Postgres;
using Needle.Storage.Sqlite;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// The options every Needle node takes (<c>needle serve</c> and <c>needle worker</c>): where the data is (a SQLite file
/// or a PostgreSQL database), the media key, the geodata and routing files, and how often the list change log is read.
/// </summary>
internal sealed class NodeOptionSet
{
    public const string DefaultDatabase = "needle.db";

    /// <summary>The environment variable read for the connection string when <c>--postgres</c> is given without one.</summary>
    public const string PostgresVariable = "NEEDLE_POSTGRES";

    public Option<string> Database { get; } = new("--db")
    {
        Description = $"The SQLite database file (created if missing). Default: {DefaultDatabase}.",
        HelpName = "PATH",
        DefaultValueFactory = _ => DefaultDatabase,
    };

    public Option<string?> Postgres { get; } = new("--postgres")
    {
        Description = $"Use this PostgreSQL database (an Npgsql connection string, e.g. \"Host=db;Database=needle;Username=needle\") instead of --db. Without a value: ${PostgresVariable} (keeps a password off the command line).",
        HelpName = "CONNECTION",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string?> MediaKey { get; } = new("--media-key")
    {
        Description = "The media encryption key file (created 0600 if missing). SQLite default: the database path + .key. PostgreSQL: required unless NEEDLE_MEDIA_KEY (base64) is set, and the same on every node. NEEDLE_MEDIA_KEY wins when set.",
        HelpName = "FILE",
    };

    public Option<string?> MediaTemp { get; } = new("--media-temp")
    {
        Description = "Where decrypted videos are written for ffmpeg (a private folder per process; the folders of dead processes are removed at start). Default: needle-media-USER in the system temp folder. A tmpfs folder (e.g. under /dev/shm) keeps them off the disk.",
        HelpName = "DIR",
    };

    public Option<string?> IpDatabase { get; } = new("--ip-db")
    {
        Description = $"The IP-to-country database (.mmdb) for IP clues. Default: ${Needle.Geo.GeoDataPaths.IpDatabaseVariable}, else the one scripts/fetch-geodata.sh installs. Missing: a warning, no IP clues.",
        HelpName = "FILE",
    };

    public Option<string?> Routing { get; } = new("--routing")
    {
        Description = "Jurisdiction routing rules (JSON: ordered rules by country and region naming a queue and an agency, plus a default). Default: every report to the \"international\" queue.",
        HelpName = "FILE",
    };

    public Option<string?> Scoring { get; } = new("--scoring")
    {
        Description = "Triage scoring options (JSON: weights of each reason, near-duplicate distance, claim duration, list names). Default: the built-in weights. Give every node the same file.",
        HelpName = "FILE",
    };

    public Option<double> ListPoll { get; } = new("--list-poll")
    {
        Description = "Seconds between reads of the list change log (each wait is 50-150 % of it, so nodes drift apart). Default: 2.",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 2,
    };

    public Option<double> Lease { get; } = new("--lease")
    {
        Description = "Seconds a worker holds a job before another may take it (renewed while it works). Default: 120.",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 120,
    };

    public Option<int> VideoSegments { get; } = new("--video-segments")
    {
        Description = "ffmpeg processes that may decode one long video side by side (MP4/MOV H.264 or HEVC cut at IDR key frames; the hash is the same as with one). Default: 1. Each worker hashes one video at a time, so up to workers x N ffmpeg processes run: keep that near the cores.",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    };

    public Option<string?> OtlpEndpoint { get; } = new("--otlp-endpoint")
    {
        Description = "Send metrics and traces over OTLP to this OpenTelemetry collector (e.g. http://collector:4317). Default: $OTEL_EXPORTER_OTLP_ENDPOINT when set, else none (the API's /metrics is scraped with an admin or auditor key either way).",
        HelpName = "URL",
    };

    public Option<int?> FloodGuard { get; } = new("--flood-guard")
    {
        Description = "The flood guard quarantines a list entry that matches at least MIN files in an hour (default 100) and more than 10 times its rate of the last 7 days (an exchange's bad hash). See --flood-guard-lists for which lists it watches.",
        HelpName = "MIN",
    };

    public Option<string?> ListSnapshots { get; } = new("--list-snapshots")
    {
        Description = "Keep a snapshot of each list in DIR and start from them (the change log after them is applied; a damaged, foreign or stale one is logged and rebuilt from the database). Default with --db: the database path + .lists; with --postgres: none. 'off' keeps none.",
        HelpName = "DIR",
    };

    public Option<int> ListSnapshotChanges { get; } = new("--list-snapshot-changes")
    {
        Description = "Entry changes after which the list snapshots are written again in the background (also on a clean shutdown). Default: 100000.",
        HelpName = "N",
        DefaultValueFactory = _ => 100_000,
    };

    public Option<string> FloodGuardLists { get; } = new("--flood-guard-lists")
    {
        Description = "Which lists the flood guard watches: exchange (default: lists an exchange feeds, where a bad hash arrives from outside), all (local lists too: a known picture going viral would stop matching), or none.",
        HelpName = "exchange|all|none",
        DefaultValueFactory = static _ => "exchange",
    };

    public Option<string> Robust { get; } = new("--robust")
    {
        Description = "The robust tier (on by default): store every image's descriptor and keypoints, match files no hash matched against the lists' robust entries (cropped, rotated, mirrored, framed copies), add confirmed files' robust entries to the organisation's list, link reports sharing such a copy, rank similar files. off: hashes only.",
        HelpName = "on|off",
        DefaultValueFactory = _ => "on",
    };

    public Option<string?> RobustModel { get; } = new("--robust-model")
    {
        Description = "An ONNX model for the robust tier's descriptor, input [1,3,H,W] RGB, output N floats (default: the ResNet18 shipped with needle; its input is then normalised with ImageNet's mean and deviation). Give every node the same model.",
        HelpName = "PATH",
    };

    public void AddTo(Command command)
    {
        Robust.AcceptOnlyFromAmong("on", "off");
        command.Options.Add(Robust);
        command.Options.Add(RobustModel);
        command.Options.Add(ListSnapshots);
        command.Options.Add(ListSnapshotChanges);
        command.Options.Add(OtlpEndpoint);
        command.Options.Add(FloodGuard);
        command.Options.Add(FloodGuardLists);
        command.Options.Add(Database);
        command.Options.Add(Postgres);
        command.Options.Add(MediaKey);
        command.Options.Add(MediaTemp);
        command.Options.Add(IpDatabase);
        command.Options.Add(Routing);
        command.Options.Add(Scoring);
        command.Options.Add(ListPoll);
        command.Options.Add(Lease);
        command.Options.Add(VideoSegments);
    }

    /// <summary>The node's options from the command line, or null with the reason on stderr.</summary>
    public NeedleServerOptions? Read(ParseResult parse, CliContext context)
    {
        string? connection = null;
        if (parse.GetResult(Postgres) is not null)
        {
            connection = parse.GetValue(Postgres);
            if (string.IsNullOrWhiteSpace(connection))
            {
                connection = Environment.GetEnvironmentVariable(PostgresVariable);
                if (string.IsNullOrWhiteSpace(connection))
                {
                    context.Error.WriteLine($"error: --postgres was given without a connection string and ${PostgresVariable} is not set");
                    return null;
                }
            }

            if (parse.GetResult(Database) is { Implicit: false })
            {
                context.Error.WriteLine("error: --db and --postgres name two databases: give one");
                return null;
            }
        }

        var poll = parse.GetValue(ListPoll);
        var lease = parse.GetValue(Lease);
        if (!(poll > 0 && poll <= 3600) || !(lease >= 1 && lease <= 86_400))
        {
            context.Error.WriteLine("error: --list-poll must be more than 0 and at most 3600 seconds; --lease 1 to 86400 seconds");
            return null;
        }

        var segments = parse.GetValue(VideoSegments);
        if (segments is < 1 or > 64)
        {
            context.Error.WriteLine("error: --video-segments must be 1 to 64");
            return null;
        }

        Uri? otlp = null;
        if (parse.GetValue(OtlpEndpoint) is { } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out otlp))
        {
            context.Error.WriteLine($"error: --otlp-endpoint is not an absolute URL: {endpoint}");
            return null;
        }

        var floodGuard = parse.GetValue(FloodGuard);
        if (floodGuard is < 1)
        {
            context.Error.WriteLine("error: --flood-guard must be at least 1 (files matched in an hour)");
            return null;
        }

        var floodScope = parse.GetValue(FloodGuardLists)?.Trim().ToLowerInvariant() switch
        {
            "exchange" or "exchanges" => (Needle.Application.Lists.FloodGuardScope?)Needle.Application.Lists.FloodGuardScope.ExchangeLists,
            "all" => Needle.Application.Lists.FloodGuardScope.AllLists,
            "none" or "off" => Needle.Application.Lists.FloodGuardScope.Off,
            _ => null,
        };
        if (floodScope is null)
        {
            context.Error.WriteLine($"error: --flood-guard-lists must be exchange, all or none; got '{parse.GetValue(FloodGuardLists)}'");
            return null;
        }

        // Video hashing as the server does by default, with the segments asked for.
        var video = new Needle.Application.Processing.ProcessorOptions().Video is { } defaults ? defaults with { MaxParallelSegments = segments } : null;

        var snapshotChanges = parse.GetValue(ListSnapshotChanges);
        if (snapshotChanges < 1)
        {
            context.Error.WriteLine("error: --list-snapshot-changes must be 1 or more");
            return null;
        }

        var sqlitePath = InputPaths.Resolve(parse.GetValue(Database)!, context.WorkingDirectory);
        var snapshots = parse.GetValue(ListSnapshots) switch
        {
            "off" => null,
            { } folder => InputPaths.Resolve(folder, context.WorkingDirectory),
            null => connection is null ? sqlitePath + ".lists" : null,
        };

        return new NeedleServerOptions
        {
            Store = StoreFor(connection, sqlitePath),
            ListSnapshotDirectory = snapshots,
            ListSnapshotRefreshChanges = snapshotChanges,
            MediaKeyPath = parse.GetValue(MediaKey) is { } key ? InputPaths.Resolve(key, context.WorkingDirectory) : null,
            MediaTempDirectory = parse.GetValue(MediaTemp) is { } media ? InputPaths.Resolve(media, context.WorkingDirectory) : null,
            IpDatabasePath = parse.GetValue(IpDatabase) is { } ip ? InputPaths.Resolve(ip, context.WorkingDirectory) : null,
            RoutingPath = parse.GetValue(Routing) is { } rules ? InputPaths.Resolve(rules, context.WorkingDirectory) : null,
            ScoringPath = parse.GetValue(Scoring) is { } weights ? InputPaths.Resolve(weights, context.WorkingDirectory) : null,
            ListPollInterval = TimeSpan.FromSeconds(poll),
            JobLease = TimeSpan.FromSeconds(lease),
            TimeProvider = context.Time,
            Notices = context.Out,
            Warnings = context.Error,
            Video = video,
            OtlpEndpoint = otlp,
            Robust = parse.GetValue(Robust) != "off",
            RobustModelPath = parse.GetValue(RobustModel) is { } model ? InputPaths.Resolve(model, context.WorkingDirectory) : null,
            FloodGuard = new Needle.Application.Lists.FloodGuardOptions { Scope = floodScope.Value, MinMatches = floodGuard ?? new Needle.Application.Lists.FloodGuardOptions().MinMatches },
        };
    }

    /// <summary>The store this node runs on: PostgreSQL when a connection string is given, else the SQLite file.</summary>
    public static Action<IServiceCollection> StoreFor(string? postgresConnection, string sqlitePath) =>
        postgresConnection is { } connection
            ? services => services.AddPostgresStore(connection)
            : services => services.AddSqliteStore(sqlitePath);

    public static string Describe(int count, string what) => string.Create(CultureInfo.InvariantCulture, $"{count} {what}{(count == 1 ? "" : "s")}");
}
