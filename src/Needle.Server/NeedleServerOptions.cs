using Microsoft.Extensions.Logging;

namespace Needle.Server;

/// <summary>How to run a Needle server. Every path is used as given (the CLI resolves relative ones first).</summary>
public sealed record NeedleServerOptions
{
    /// <summary>The SQLite database file; created and migrated at start.</summary>
    public string DatabasePath { get; init; } = "needle.db";

    /// <summary>How report files and lookups that are videos are hashed (limits, time-out); null turns video hashing off.</summary>
    public Needle.Video.VideoHashOptions? Video { get; init; } = new Needle.Triage.ProcessorOptions().Video;

    /// <summary>Where Kestrel listens. Port 0 picks a free port (tests read the bound address back).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];

    /// <summary>The media encryption key file; default: the database path plus <c>.key</c>. Ignored when the environment variable is set.</summary>
    public string? MediaKeyPath { get; init; }

    /// <summary>The environment variable holding the media key (base64), read before the key file; null never reads one.</summary>
    public string? MediaKeyEnvironmentVariable { get; init; } = "NEEDLE_MEDIA_KEY";

    /// <summary>Largest single file of a report or upload, in bytes. Default 64 MiB.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Largest total of a report's files, in bytes. Default 256 MiB.</summary>
    public long MaxReportBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Most file parts in one request.</summary>
    public int MaxFilesPerRequest { get; init; } = 100;

    /// <summary>Largest JSON document (a report without its files, a request body), in bytes. Default 1 MiB.</summary>
    public int MaxJsonBytes { get; init; } = 1024 * 1024;

    /// <summary>Largest list file accepted by <c>POST /api/v1/lists/{name}/import</c>. Default 512 MiB.</summary>
    public long MaxListImportBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Background workers processing reports. 0 runs none (reports stay received).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>PDQ hashes of lower quality are not matched (exact hashes still are); Meta's guidance is 50.</summary>
    public int MinimumPdqQuality { get; init; } = Needle.Hashing.PdqResult.MinimumUsefulQuality;

    /// <summary>How long an idle worker sleeps before polling the job queue again.</summary>
    public TimeSpan WorkerIdleDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a successful key lookup is cached. A key revoked through this server stops working at once; one
    /// revoked elsewhere (<c>needle keys revoke</c> on the database) stops within this window. At most 30 seconds.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The IP-to-country database (.mmdb) placing the reported person's IP capture events in countries. Default
    /// <see cref="Needle.Geo.GeoDataPaths.DefaultIpDatabase"/>. When the file is missing the server warns at start and
    /// records no IP clues.
    /// </summary>
    public string? IpDatabasePath { get; init; }

    /// <summary>
    /// The jurisdiction routing rules file (JSON, see <see cref="Needle.Triage.JurisdictionRules"/>); null routes every
    /// report to the "international" queue. A file that cannot be read stops the start with its reason.
    /// </summary>
    public string? RoutingPath { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the first admin key is printed (once). Default: standard output.</summary>
    public TextWriter? Notices { get; init; }

    /// <summary>Where warnings about key files go. Default: standard error.</summary>
    public TextWriter? Warnings { get; init; }

    /// <summary>Lowest level logged to the console; tests raise it to keep their output readable.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    internal string ResolvedMediaKeyPath => MediaKeyPath ?? DatabasePath + ".key";

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DatabasePath);
        if (Urls.Count == 0)
        {
            throw new ArgumentException("At least one URL to listen on is needed.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxReportBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFilesPerRequest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxJsonBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxListImportBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(Workers);
        if (KeyCacheDuration < TimeSpan.Zero || KeyCacheDuration > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(KeyCacheDuration), KeyCacheDuration, "The key cache keeps a lookup 0 to 30 seconds.");
        }
    }
}
