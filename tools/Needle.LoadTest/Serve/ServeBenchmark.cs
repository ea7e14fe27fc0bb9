using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.LoadTest.Common;
using Needle.Server;
using Needle.Storage.Sqlite;

namespace Needle.LoadTest.Serve;

/// <summary>
/// Load on a real in-process server (Kestrel on loopback, a temporary SQLite file with synchronous=FULL, the report
/// workers): C clients post N multipart reports of K generated JPEGs; measured are the accept rate (POST to 202, i.e.
/// durable), the processing rate (first POST until the job queue is empty) and, per report, the time from the client
/// sending the POST to the server's <c>processed_at</c> (both read from this machine's clock).
/// </summary>
internal static class ServeBenchmark
{
    public static async Task<ServeRunResult> RunAsync(ServeBenchmarkOptions options, int workers, byte[][] images, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(progress);
        var folder = Path.Combine(Path.GetTempPath(), "needle-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var notices = new StringWriter(CultureInfo.InvariantCulture);
            var serverOptions = new NeedleServerOptions
            {
                Store = services => services.AddSqliteStore(Path.Combine(folder, "needle.db")),
                Urls = ["http://127.0.0.1:0"],
                MediaKeyEnvironmentVariable = null,
                Notices = notices,
                Warnings = new StringWriter(CultureInfo.InvariantCulture),
                MinimumLogLevel = LogLevel.Warning,
                Workers = workers,

                // The tool measures the server's own capacity (any --reports): one key at full speed is what the rate
                // limits exist to stop.
                RateLimits = RateLimitOptions.Off,
            };
            var app = await NeedleServer.BuildAsync(serverOptions, cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await MeasureAsync(app, notices.ToString(), options, workers, images, progress, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    private static async Task<ServeRunResult> MeasureAsync(WebApplication app, string notices, ServeBenchmarkOptions options, int workers, byte[][] images,
        Action<string> progress, CancellationToken cancellationToken)
    {
        var baseAddress = new Uri(NeedleServer.Addresses(app).Single());
        if (!IPAddress.IsLoopback(IPAddress.Parse(baseAddress.Host)))
        {
            throw new InvalidOperationException($"the benchmark server listens on {baseAddress}, not loopback");
        }

        var adminKey = notices.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
        var submitterKey = await NeedleApi.CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
        if (options.ListEntries > 0)
        {
            await NeedleApi.ImportListAsync(http, adminKey, options.ListEntries, options.Seed, cancellationToken).ConfigureAwait(false);
        }

        var store = app.Services.GetRequiredService<INeedleStore>();
        var reports = options.Reports;
        var k = options.FilesPerReport;
        var sentAt = new DateTimeOffset[reports];
        var ids = new Guid[reports];
        var ackMs = new double[reports];
        var next = -1;
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < reports)
                {
                    using var request = NeedleApi.BuildReport(i, workers, images, k, submitterKey);
                    var started = Stopwatch.GetTimestamp();
                    sentAt[i] = TimeProvider.System.GetUtcNow();
                    using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"report {i} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
                    }

                    ackMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
                    ids[i] = Guid.Parse(body["id"]!.GetValue<string>());
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(clients).ConfigureAwait(false);
        var acceptWall = clock.Elapsed;
        progress(FormattableString.Invariant($"workers {workers}: {reports} reports accepted in {acceptWall.TotalSeconds:F1} s; waiting for the queue to drain"));

        // Until every job is done: polled on the store (a cheap COUNT) every 20 ms.
        while (await store.Jobs.CountOpenAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            if (clock.Elapsed > options.Timeout)
            {
                throw new TimeoutException($"the queue did not drain within {options.Timeout.TotalMinutes:F0} minutes");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var processWall = clock.Elapsed;

        // POST to processed: the server's processed_at minus the client's send time (one clock, this machine).
        var doneMs = new double[reports];
        var notHashed = 0;
        for (var i = 0; i < reports; i++)
        {
            var report = await store.Reports.GetAsync(ids[i], cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"report {ids[i]} was acknowledged but is not stored");
            if (report.ProcessedAt is not { } processedAt)
            {
                throw new InvalidOperationException($"report {ids[i]} is {report.Status} after the queue drained (its job failed)");
            }

            doneMs[i] = (processedAt - sentAt[i]).TotalMilliseconds;
            notHashed += report.Files.Count(f => f.State != FileState.Hashed);
        }

        return new ServeRunResult(workers, reports, reports * k, acceptWall, processWall, ackMs, doneMs, notHashed);
    }
}
