using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Needle.LoadTest.Common;
using Needle.Server;
using Needle.Storage.Postgres;
using Npgsql;

namespace Needle.LoadTest.Workers;

/// <summary>
/// The <c>workers</c> harness: an API node in this process and P <c>needle worker</c> child processes on one fresh
/// PostgreSQL database. The reports are posted first, with their jobs held back; once every worker is up they are
/// released at once, so the time to the last processed report is P workers' throughput (not start-up, nor the
/// client's upload). Then list entries are added through the API one at a time and each is timed until every worker
/// reports (on its /readyz) that it applied it.
/// </summary>
internal static class WorkersBenchmark
{
    public static async Task<WorkersRunResult> RunAsync(WorkersBenchmarkOptions options, int processes, byte[][] images, Action<string> progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-bench-workers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = "needle_bench_" + Guid.NewGuid().ToString("N");
        var connectionString = new NpgsqlConnectionStringBuilder(options.AdminConnectionString) { Database = database }.ConnectionString;
        await AdminAsync(options.AdminConnectionString, $"CREATE DATABASE {database};", cancellationToken).ConfigureAwait(false);
        var workers = new List<Process>();
        try
        {
            var keyPath = Path.Combine(folder, "media.key");
            await File.WriteAllTextAsync(keyPath, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var notices = new StringWriter(CultureInfo.InvariantCulture);
            var app = await NeedleServer.BuildAsync(
                new NeedleServerOptions
                {
                    Store = services => services.AddPostgresStore(connectionString),
                    Urls = ["http://127.0.0.1:0"],
                    MediaKeyEnvironmentVariable = null,
                    MediaKeyPath = keyPath,
                    Notices = notices,
                    Warnings = new StringWriter(CultureInfo.InvariantCulture),
                    MinimumLogLevel = LogLevel.Warning,
                    Workers = 0,
                    ListPollInterval = options.ListPoll,
                    RateLimits = RateLimitOptions.Off,
                },
                cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                using var http = new HttpClient { BaseAddress = new Uri(NeedleServer.Addresses(app).Single()), Timeout = TimeSpan.FromMinutes(5) };
                var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
                var submitterKey = await NeedleApi.CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
                if (options.ListEntries > 0)
                {
                    await NeedleApi.ImportListAsync(http, adminKey, options.ListEntries, options.Seed, cancellationToken).ConfigureAwait(false);
                }

                // The measured reports and a few to warm each worker up (JIT, first-use costs), all held back (due in
                // a year) until every worker is up.
                var warmup = WarmupReports(processes, options);
                await PostReportsAsync(http, submitterKey, options.Reports + warmup, options.FilesPerReport, processes, images, cancellationToken).ConfigureAwait(false);
                await using var db = new NpgsqlConnection(connectionString);
                await db.OpenAsync(cancellationToken).ConfigureAwait(false);
                var heldBack = TimeProvider.System.GetUtcNow().AddYears(1).UtcTicks;
                await ExecuteAsync(db, $"UPDATE jobs SET available_at = {heldBack} WHERE state = 'pending';", cancellationToken).ConfigureAwait(false);

                var healths = new List<Uri>();
                for (var p = 0; p < processes; p++)
                {
                    var health = new Uri($"http://127.0.0.1:{FreePort()}");
                    healths.Add(health);
                    workers.Add(StartWorker(connectionString, keyPath, health, options, folder));
                }

                foreach (var health in healths)
                {
                    await WaitReadyAsync(http, health, workers, cancellationToken).ConfigureAwait(false);
                }

                // Warm-up: its reports (external ids bench-N, N >= Reports) and the triage jobs they bring, to the end.
                await ExecuteAsync(
                    db,
                    $"UPDATE jobs SET available_at = 0 WHERE state = 'pending' AND subject_id IN (SELECT id FROM reports WHERE substr(external_id, 7)::int >= {options.Reports});",
                    cancellationToken).ConfigureAwait(false);
                var warming = Stopwatch.StartNew();
                while (await ScalarAsync(db, $"SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'leased') AND available_at < {heldBack};", cancellationToken).ConfigureAwait(false) > 0)
                {
                    if (warming.Elapsed > options.Timeout || workers.Any(w => w.HasExited))
                    {
                        throw new InvalidOperationException("the warm-up reports were not processed (a worker exited, or the time-out passed)");
                    }

                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }

                progress($"{processes} worker process(es) up and warmed ({warmup} reports); releasing {options.Reports} reports ({options.Reports * options.FilesPerReport} files)");
                var clock = Stopwatch.StartNew();
                await ExecuteAsync(db, $"UPDATE jobs SET available_at = 0 WHERE state = 'pending';", cancellationToken).ConfigureAwait(false);
                while (await ScalarAsync(db, "SELECT COUNT(*) FROM jobs WHERE kind = 'process-report' AND state <> 'done';", cancellationToken).ConfigureAwait(false) > 0)
                {
                    if (clock.Elapsed > options.Timeout || workers.Any(w => w.HasExited))
                    {
                        throw new InvalidOperationException($"the reports were not processed (a worker exited, or {options.Timeout.TotalMinutes:F0} minutes passed)");
                    }

                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }

                var processing = clock.Elapsed;
                var failed = await ScalarAsync(db, "SELECT COUNT(*) FROM files WHERE state <> 1; -- FileState.Hashed", cancellationToken).ConfigureAwait(false);

                progress(FormattableString.Invariant($"{processes} worker process(es): processed in {processing.TotalSeconds:F1} s ({failed} files not hashed); timing {options.Changes} list changes"));

                // Let triage finish so the change timings measure the follower, not a worker busy with leftovers.
                while (await ScalarAsync(db, "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'leased');", cancellationToken).ConfigureAwait(false) > 0 && clock.Elapsed < options.Timeout)
                {
                    await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                }

                var visible = new List<double>(options.Changes);
                for (var c = 0; c < options.Changes; c++)
                {
                    var added = Stopwatch.StartNew();
                    await AddEntryAsync(http, adminKey, options.Seed, c, cancellationToken).ConfigureAwait(false);
                    var target = await ScalarAsync(db, "SELECT MAX(seq) FROM list_changes;", cancellationToken).ConfigureAwait(false);
                    foreach (var health in healths)
                    {
                        while (await SequenceAsync(http, health, cancellationToken).ConfigureAwait(false) < target)
                        {
                            if (added.Elapsed > TimeSpan.FromMinutes(1))
                            {
                                throw new TimeoutException($"worker {health} did not apply list change {target} within a minute");
                            }

                            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    visible.Add(added.Elapsed.TotalMilliseconds);
                }

                return new WorkersRunResult(processes, options.Reports * options.FilesPerReport, processing, visible);
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                StopWorker(worker);
            }

            NpgsqlConnection.ClearAllPools();
            await AdminAsync(options.AdminConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE);", CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>Reports processed before the measurement: a few per job slot.</summary>
    public static int WarmupReports(int processes, WorkersBenchmarkOptions options) => 4 * processes * options.ConcurrencyPerProcess;

    private static async Task PostReportsAsync(HttpClient http, string submitterKey, int reports, int filesPerReport, int run, byte[][] images, CancellationToken cancellationToken)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < reports)
                {
                    using var request = NeedleApi.BuildReport(i, run, images, filesPerReport, submitterKey);
                    using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != System.Net.HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"report {i} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
                    }
                }
            },
            cancellationToken))).ConfigureAwait(false);
    }

    private static Process StartWorker(string connectionString, string keyPath, Uri health, WorkersBenchmarkOptions options, string folder)
    {
        var start = NeedleExecutable.StartInfo();
        start.WorkingDirectory = folder;
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;

        foreach (var argument in new[]
        {
            "worker", "--postgres", "--media-key", keyPath, "--health-url", health.ToString().TrimEnd('/'),
            "--concurrency", options.ConcurrencyPerProcess.ToString(CultureInfo.InvariantCulture),
            "--list-poll", options.ListPoll.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        // The connection string by the environment, as an operator would pass a password.
        start.Environment["NEEDLE_POSTGRES"] = connectionString;
        start.Environment.Remove("NEEDLE_MEDIA_KEY");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a worker");

        // Drained (and dropped) so the child never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void StopWorker(Process worker)
    {
        try
        {
            if (!worker.HasExited)
            {
                worker.Kill();
                worker.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }

        worker.Dispose();
    }

    private static async Task WaitReadyAsync(HttpClient http, Uri health, List<Process> workers, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await SequenceAsync(http, health, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException) when (waited.Elapsed < TimeSpan.FromMinutes(1) && !workers.Any(w => w.HasExited))
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<long> SequenceAsync(HttpClient http, Uri health, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(health, "/readyz"), cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
        return body["listSequence"]!.GetValue<long>();
    }

    private static async Task AddEntryAsync(HttpClient http, string adminKey, int seed, int index, CancellationToken cancellationToken)
    {
        var hash = new byte[32];
        new Random(unchecked((seed * 7919) + index)).NextBytes(hash);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/entries")
        {
            Content = JsonContent.Create(new { entries = new[] { new { signalType = "pdq", value = Convert.ToHexStringLower(hash), label = $"bench/change-{index}" } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"adding a list entry got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    private static async Task AdminAsync(string adminConnectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
