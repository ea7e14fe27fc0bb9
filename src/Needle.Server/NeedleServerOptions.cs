using Microsoft.Extensions.Logging;
using Needle.Core.Storage;

namespace Needle.Server;

/// <summary>How to run a Needle server. Every path is used as given (the CLI resolves relative ones first).</summary>
public sealed record NeedleServerOptions
{
    /// <summary>
    /// Registers the store (the host picks it: <c>services.AddSqliteStore(path)</c> or
    /// <c>services.AddPostgresStore(connectionString)</c>): an <see cref="INeedleStore"/> and its
    /// <see cref="StoreDescription"/>. The server references no backend. A store shared by many nodes needs the media key
    /// from <see cref="MediaKeyEnvironmentVariable"/> or <see cref="MediaKeyPath"/>, the same on every node.
    /// </summary>
    public required Action<IServiceCollection> Store { get; init; }

    /// <summary>How often the list change log is polled (each poll waits this ±50 %, so nodes drift apart). Default 2 s.</summary>
    public TimeSpan ListPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The node's own folder for list snapshots (one file per list, not shared between nodes): the node starts from them
    /// and applies the change log after them instead of reading every entry from the database. Null keeps none.
    /// </summary>
    public string? ListSnapshotDirectory { get; init; }

    /// <summary>Entry changes after which the list snapshots are written again in the background (and on a clean shutdown). Default 100,000.</summary>
    public int ListSnapshotRefreshChanges { get; init; } = 100_000;

    /// <summary>How long a worker holds a job before another may take it (renewed while processing). Default 2 minutes.</summary>
    public TimeSpan JobLease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How report files and lookups that are videos are hashed (limits, time-out); null turns video hashing off.</summary>
    public Needle.Video.VideoHashOptions? Video { get; init; } = new Needle.Application.Processing.ProcessorOptions().Video;

    /// <summary>
    /// The robust tier (on by default): every processed image's descriptor and keypoints are stored, files no hash
    /// matched are matched against the lists' robust entries, confirmed files add theirs to the organisation's list,
    /// triage links reports sharing a cropped or rotated copy, and <c>/files/{id}/similar</c> ranks similar files. The
    /// model and OpenCV load once at start; a missing model file stops the start naming it.
    /// </summary>
    public bool Robust { get; init; } = true;

    /// <summary>The robust tier's ONNX model (input [1,3,H,W], N floats out); null for the ResNet18 shipped next to the binaries.</summary>
    public string? RobustModelPath { get; init; }

    /// <summary>Where Kestrel listens. Port 0 picks a free port (tests read the bound address back).</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:5080"];

    /// <summary>
    /// The media encryption key file (created 0600 when missing); default with SQLite: the database path plus <c>.key</c>;
    /// with PostgreSQL there is no default. Ignored when the environment variable is set.
    /// </summary>
    public string? MediaKeyPath { get; init; }

    /// <summary>The environment variable holding the media key (base64), read before the key file; null never reads one.</summary>
    public string? MediaKeyEnvironmentVariable { get; init; } = "NEEDLE_MEDIA_KEY";

    /// <summary>Largest single file of a report or upload, in bytes. Default 64 MiB.</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The largest video a synchronous lookup (<c>POST /api/v1/lookup</c>, HMA <c>POST /m/lookup</c>) hashes within the
    /// request; a larger one answers 413 (submit it as a report: it is then hashed by a worker). Default 8 MiB.
    /// </summary>
    public long MaxVideoLookupBytes { get; init; } = 8L * 1024 * 1024;

    /// <summary>Fetching media by URL on the HMA routes: off by default, see <see cref="UrlFetch.UrlFetchOptions"/>.</summary>
    public UrlFetch.UrlFetchOptions UrlFetch { get; init; } = new();

    /// <summary>How many videos synchronous lookups hash at once on this node; more wait their turn. Default 1.</summary>
    public int MaxConcurrentVideoLookups { get; init; } = 1;

    /// <summary>Largest total of a report's files, in bytes. Default 256 MiB.</summary>
    public long MaxReportBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Most file parts in one request.</summary>
    public int MaxFilesPerRequest { get; init; } = 100;

    /// <summary>Largest JSON document (a report without its files, a request body), in bytes. Default 1 MiB.</summary>
    public int MaxJsonBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest list file accepted by <c>POST /api/v1/lists/{name}/import</c>; null (the default) for no limit but the
    /// disk: the file is streamed to a temporary file and parsed from there, never held in memory.
    /// </summary>
    public long? MaxListImportBytes { get; init; }

    /// <summary>
    /// A list file larger than this is imported in the background: the import answers 202 with a job to follow
    /// (<c>?async=true</c> asks for that at any size). Default 16 MiB.
    /// </summary>
    public long AsyncListImportBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Background workers processing reports. 0 runs none (reports stay received).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>How often a node looks for exchanges due for a fetch (and queues their jobs).</summary>
    public TimeSpan ExchangePollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a node looks for exchange feedback due for another attempt (and queues the send job).</summary>
    public TimeSpan ExchangeFeedbackPollInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How exchanges are fetched: leases, paging, retries (the lease holder is set per process).</summary>
    public Needle.Application.Exchanges.ExchangeOptions Exchanges { get; init; } = new();

    /// <summary>The flood guard's rule: when a list entry suddenly matching far more files than its history is quarantined.</summary>
    public Needle.Application.Lists.FloodGuardOptions FloodGuard { get; init; } = new();

    /// <summary>
    /// How many of the <see cref="Workers"/> run the video lane (reports holding a video: minutes of ffmpeg each); they
    /// take video jobs first and other jobs when no video waits. The others never take a video job, so images, triage
    /// and scoring are never stuck behind videos. Default 1 (with one worker in all, it runs both lanes).
    /// </summary>
    public int VideoWorkers { get; init; } = 1;

    /// <summary>How long an idle worker sleeps before polling the job queue again.</summary>
    public TimeSpan WorkerIdleDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long a successful key lookup is cached. A key revoked through this server stops working at once; one
    /// revoked elsewhere (<c>needle keys revoke</c> on the database) stops within this window. At most 30 seconds.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an HMA lookup reuses a bank's enabled ratio read from the store. A ratio set through this server
    /// applies at once; one set on another node within this window. Zero reads the store at every lookup. At most 30 seconds.
    /// </summary>
    public TimeSpan BankRatioCacheDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The IP-to-country database (.mmdb) placing the reported person's IP capture events in countries. Default
    /// <see cref="Needle.Geo.GeoDataPaths.DefaultIpDatabase"/>. When the file is missing the server warns at start and
    /// records no IP clues.
    /// </summary>
    public string? IpDatabasePath { get; init; }

    /// <summary>
    /// The jurisdiction routing rules file (JSON, see <see cref="Needle.Core.Jurisdiction.JurisdictionRules"/>); null routes every
    /// report to the "international" queue. A file that cannot be read stops the start with its reason.
    /// </summary>
    public string? RoutingPath { get; init; }

    /// <summary>A review-page session ends after this long without a request (default 30 minutes).</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>A review-page session ends this long after sign-in, however active (default 8 hours).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>
    /// The triage scoring options file (JSON, see <see cref="Needle.Application.Triage.ScoringOptions"/>); null uses the defaults.
    /// A file that cannot be read or holds a bad value stops the start with its reason.
    /// </summary>
    public string? ScoringPath { get; init; }

    /// <summary>The scoring options when no file is given (tests); <see cref="ScoringPath"/> wins when set.</summary>
    public Needle.Application.Triage.ScoringOptions? Scoring { get; init; }

    /// <summary>
    /// Where decrypted media is written for ffmpeg (videos to hash, poster frames): a private folder per process under
    /// this root, cleaned of the folders of dead processes when a node starts, so a crash leaves no plaintext behind
    /// after a restart. Default <see cref="Needle.Application.Media.PrivateMediaFiles.DefaultRoot"/>; a memory-backed
    /// folder (tmpfs, e.g. under <c>/dev/shm</c>) keeps plaintext off the disk altogether.
    /// </summary>
    public string? MediaTempDirectory { get; init; }

    /// <summary>
    /// Requests per key and per client address, by role and route class (intake, lookup, sign-in, other), answered
    /// <c>429</c> with <c>Retry-After</c> when exceeded; and the throttle on refused sign-ins. See <see cref="RateLimitOptions"/>.
    /// </summary>
    public RateLimitOptions RateLimits { get; init; } = new();

    /// <summary>
    /// How long a reviewer can undo a decision made on the review pages before it spreads to copies in other reports,
    /// the bundle and the organisation's list (the API's decisions spread at once). Zero: no undo.
    /// </summary>
    public TimeSpan DecisionUndoWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where metrics and traces are sent over OTLP (an OpenTelemetry collector, e.g. http://collector:4317); null sends
    /// them only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. The Prometheus scrape endpoint is there either way.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>
    /// The path of the Prometheus scrape endpoint (a key of a role in <see cref="MetricsRoles"/> is needed); null
    /// serves none. Default <c>/metrics</c>.
    /// </summary>
    public string? MetricsPath { get; init; } = "/metrics";

    /// <summary>The roles whose keys may scrape <see cref="MetricsPath"/>. Default: admin and auditor (neither sees reported media).</summary>
    public IReadOnlyList<Needle.Core.Access.ApiRole> MetricsRoles { get; init; } = [Needle.Core.Access.ApiRole.Admin, Needle.Core.Access.ApiRole.Auditor];

    /// <summary>How often the job queue's depth and age are sampled for the metrics. Default 10 s.</summary>
    public TimeSpan MetricsSampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the whole node (store, sessions, claims, workers); tests give a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the first admin key is printed (once). Default: standard output.</summary>
    public TextWriter? Notices { get; init; }

    /// <summary>Where warnings about key files go. Default: standard error.</summary>
    public TextWriter? Warnings { get; init; }

    /// <summary>Lowest level logged to the console; tests raise it to keep their output readable.</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Information;

    /// <summary>The key file, or null when there is none to use (a shared store without <see cref="MediaKeyPath"/>).</summary>
    internal string? ResolvedMediaKeyPath(StoreDescription store) => MediaKeyPath ?? store.DefaultMediaKeyPath;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Store);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ListPollInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(JobLease, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ListSnapshotRefreshChanges);
        if (Urls.Count == 0)
        {
            throw new ArgumentException("At least one URL to listen on is needed.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxVideoLookupBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentVideoLookups);
        ArgumentNullException.ThrowIfNull(UrlFetch);
        UrlFetch.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxReportBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFilesPerRequest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxJsonBytes);
        if (MaxListImportBytes is { } maxListImport)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxListImport);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(AsyncListImportBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(Workers);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MetricsSampleInterval, TimeSpan.Zero);
        if (Workers > 0 && (VideoWorkers < 1 || VideoWorkers > Workers))
        {
            throw new ArgumentOutOfRangeException(nameof(VideoWorkers), VideoWorkers, $"The video lane needs 1 to {Workers} of the {Workers} workers.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionIdleTimeout, TimeSpan.FromMinutes(1));
        ArgumentNullException.ThrowIfNull(RateLimits);
        RateLimits.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(SessionLifetime, SessionIdleTimeout);
        if (KeyCacheDuration < TimeSpan.Zero || KeyCacheDuration > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(KeyCacheDuration), KeyCacheDuration, "The key cache keeps a lookup 0 to 30 seconds.");
        }

        if (BankRatioCacheDuration < TimeSpan.Zero || BankRatioCacheDuration > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentOutOfRangeException(nameof(BankRatioCacheDuration), BankRatioCacheDuration, "The bank ratio cache keeps a ratio 0 to 30 seconds.");
        }
    }
}
