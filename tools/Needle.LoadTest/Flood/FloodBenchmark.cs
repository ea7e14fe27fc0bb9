using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Needle.Core.Storage;
using Needle.LoadTest.Common;
using Needle.Server;
using Needle.Storage.Sqlite;

namespace Needle.LoadTest.Flood;

/// <summary>
/// The flood of issue 14: a backlog of N reports (one small generated JPEG each, so one processing job each) is posted
/// by C clients to an API-only node (no workers, so the whole backlog is still queued), then a node with W workers starts
/// on the same SQLite file and an escalated report is posted at once. Measured: the backlog's accept rate and latency,
/// the escalated report's time from POST to processed and to scored (the server's own timestamps, one clock), and the
/// backlog's drain rate for a while after.
/// </summary>
internal static class FloodBenchmark
{
    public static async Task<FloodResult> RunAsync(FloodBenchmarkOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        var folder = Path.Combine(Path.GetTempPath(), "needle-flood-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "needle.db");
        try
        {
            var generate = Stopwatch.StartNew();
            var images = GeneratedJpegs.Generate(options.Backlog, options.Seed, 160, 120);
            var urgentImage = GeneratedJpegs.GenerateOne(options.Seed + 1, 0);
            progress(FormattableString.Invariant(
                $"generated {images.Length} backlog JPEGs (160x120, mean {images.Average(i => i.Length) / 1024:F1} KB) in {generate.Elapsed.TotalSeconds:F1} s"));

            // 1. The flood, on a node without workers: every report's job stays queued.
            var notices = new StringWriter(CultureInfo.InvariantCulture);
            string submitterKey;
            TimeSpan acceptWall;
            double[] ackMs;
            int jobsAhead;
            var api = await NeedleServer.BuildAsync(Options(database, notices, workers: 0), cancellationToken).ConfigureAwait(false);
            await using (api.ConfigureAwait(false))
            {
                await api.StartAsync(cancellationToken).ConfigureAwait(false);
                using var http = Client(api);
                var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
                submitterKey = await NeedleApi.CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
                ackMs = new double[options.Backlog];
                var next = -1;
                var clock = Stopwatch.StartNew();
                var clients = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
                    async () =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) < options.Backlog)
                        {
                            var started = Stopwatch.GetTimestamp();
                            await PostAsync(http, submitterKey, $"flood-{i}", images[i], escalate: false, cancellationToken).ConfigureAwait(false);
                            ackMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            if ((i + 1) % 5000 == 0)
                            {
                                progress(FormattableString.Invariant($"{i + 1} reports accepted ({clock.Elapsed.TotalSeconds:F0} s)"));
                            }
                        }
                    },
                    cancellationToken)).ToArray();
                await Task.WhenAll(clients).ConfigureAwait(false);
                acceptWall = clock.Elapsed;

                // Counted before any worker starts: on a loaded machine the workers' node can process a tiny backlog
                // while its other services are still starting, so a count taken after its start can find none.
                jobsAhead = await api.Services.GetRequiredService<INeedleStore>().Jobs.CountOpenAsync(cancellationToken).ConfigureAwait(false);
                await api.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            progress(FormattableString.Invariant($"backlog of {options.Backlog} reports accepted in {acceptWall.TotalSeconds:F1} s; starting {options.Workers} workers"));

            // 2. A node with workers on the same file; the escalated report is posted as soon as it listens.
            var node = await NeedleServer.BuildAsync(Options(database, new StringWriter(CultureInfo.InvariantCulture), options.Workers), cancellationToken).ConfigureAwait(false);
            await using (node.ConfigureAwait(false))
            {
                var store = node.Services.GetRequiredService<INeedleStore>();
                await node.StartAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    using var http = Client(node);
                    var sentAt = TimeProvider.System.GetUtcNow();
                    var urgent = await PostAsync(http, submitterKey, "urgent", urgentImage, escalate: true, cancellationToken).ConfigureAwait(false);
                    var accepted = TimeProvider.System.GetUtcNow() - sentAt;

                    DateTimeOffset? receivedAt = null;
                    DateTimeOffset? processedAt = null;
                    DateTimeOffset? scoredAt = null;
                    while (scoredAt is null)
                    {
                        if (TimeProvider.System.GetUtcNow() - sentAt > options.Timeout)
                        {
                            throw new TimeoutException($"the escalated report was not scored within {options.Timeout.TotalMinutes:F0} minutes");
                        }

                        var stored = processedAt is null ? await store.Reports.GetAsync(urgent, cancellationToken).ConfigureAwait(false) : null;
                        receivedAt ??= stored?.ReceivedAt;
                        processedAt ??= stored?.ProcessedAt;
                        scoredAt = processedAt is null ? null : (await store.Triage.GetScoreAsync(urgent, cancellationToken).ConfigureAwait(false))?.ComputedAt;
                        if (scoredAt is null)
                        {
                            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    var processedAhead = await CountProcessedAsync(database, (receivedAt!.Value, processedAt!.Value), cancellationToken).ConfigureAwait(false);
                    progress(FormattableString.Invariant($"escalated report scored {(scoredAt.Value - sentAt).TotalSeconds:F2} s after its POST; watching the drain for {options.Drain.TotalSeconds:F0} s"));

                    // 3. The backlog's drain, watched for a while: reports processed per second.
                    var drained = 0;
                    var watched = TimeSpan.Zero;
                    if (options.Drain > TimeSpan.Zero)
                    {
                        var startCount = await CountProcessedAsync(database, null, cancellationToken).ConfigureAwait(false);
                        var watch = Stopwatch.StartNew();
                        while (watch.Elapsed < options.Drain && await CountProcessedAsync(database, null, cancellationToken).ConfigureAwait(false) < options.Backlog + 1)
                        {
                            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                        }

                        watched = watch.Elapsed;
                        drained = await CountProcessedAsync(database, null, cancellationToken).ConfigureAwait(false) - startCount;
                    }

                    var open = await store.Jobs.CountOpenAsync(cancellationToken).ConfigureAwait(false);
                    return new FloodResult(options.Backlog, acceptWall, ackMs, jobsAhead, accepted, processedAt.Value - sentAt, scoredAt.Value - sentAt,
                        processedAhead, watched, drained, open);
                }
                finally
                {
                    await node.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
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

    internal static NeedleServerOptions Options(string database, StringWriter notices, int workers) => new()
    {
        Store = services => services.AddSqliteStore(database),
        Urls = ["http://127.0.0.1:0"],
        MediaKeyEnvironmentVariable = null,
        Notices = notices,
        Warnings = new StringWriter(CultureInfo.InvariantCulture),
        MinimumLogLevel = LogLevel.Warning,
        Workers = workers,
        VideoWorkers = 1,

        // The flood is the point: one key at full speed is what the rate limits exist to stop.
        RateLimits = RateLimitOptions.Off,
    };

    internal static HttpClient Client(Microsoft.AspNetCore.Builder.WebApplication app) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(NeedleServer.Addresses(app).Single()),
            Timeout = TimeSpan.FromMinutes(5),
        };

    internal static async Task<Guid> PostAsync(HttpClient http, string key, string externalId, byte[] image, bool escalate, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new
        {
            externalId,
            escalate,
            escalationReason = escalate ? "Needle.LoadTest flood: the escalated report" : null,
            files = new[] { new { part = "f0", originalName = externalId + ".jpg" } },
        });
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports")
        {
            Content = new MultipartFormDataContent
            {
                { new StringContent(json, Encoding.UTF8, "application/json"), "report" },
                { part, "f0", externalId + ".jpg" },
            },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"report {externalId} got {(int)response.StatusCode}: {text}");
        }

        return Guid.Parse(JsonNode.Parse(text)!["id"]!.GetValue<string>());
    }

    /// <summary>Reports processed (of the backlog within a time range, or in all), read from the file beside the server (WAL: readers never block it).</summary>
    private static async Task<int> CountProcessedAsync(string database, (DateTimeOffset From, DateTimeOffset To)? between, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = between is null
                    ? "SELECT COUNT(*) FROM reports WHERE processed_at IS NOT NULL;"
                    : "SELECT COUNT(*) FROM reports WHERE processed_at >= @from AND processed_at < @to AND NOT escalate;";
                if (between is { } range)
                {
                    command.Parameters.AddWithValue("@from", range.From.UtcTicks);
                    command.Parameters.AddWithValue("@to", range.To.UtcTicks);
                }

                return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            }
        }
    }
}
