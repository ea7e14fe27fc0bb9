using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Needle.Server.Tests.Faults;
using Needle.Storage.Sqlite;
using Needle.Testing;
using Xunit.Abstractions;

namespace Needle.Server.Tests;

/// <summary>
/// Crash safety of the real <c>needle serve</c> process: a client streams reports while the server is killed with
/// SIGKILL (mid-request and mid-job) and restarted on the same database, retrying unacknowledged reports with the same
/// Idempotency-Key. Afterwards every acknowledged report is there once, processed once, and the file is intact.
/// </summary>
public sealed class KillAndRestartTests(ITestOutputHelper output)
{
    internal const int Seed = 20_251_125;
    private const int Clients = 4;
    internal const string ListName = "fault-known";

    // Small benign photos (quality 100); the first two go on the list, so every copy of them must match exactly once.
    internal static readonly string[] Pool =
    [
        "photos/p06_yellow_rose.png", "photos/p29_koala.png",
        "photos/p07_gophers.png", "photos/p08_video_frame.png", "photos/p30_camel.png", "photos/p32_peacock.png", "photos/p38_wombat.png", "photos/p39_giraffe.png",
    ];

    internal static readonly string[] Listed = [Pool[0], Pool[1]];

    [Fact]
    public async Task Acknowledged_reports_survive_SIGKILL_exactly_once_and_the_database_stays_intact()
    {
        var total = Stopwatch.StartNew();
        var folder = Path.Combine(Path.GetTempPath(), "needle-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "needle.db");
        var photos = LoadPhotos();
        var startTimeout = TimeSpan.FromSeconds(30);
        var cluster = new Cluster();
        NeedleProcess? server = null;
        try
        {
            server = await NeedleProcess.StartAsync(db, workers: 2, startTimeout);
            var adminKey = server.AdminKey ?? throw new InvalidOperationException("no admin key on stdout:\n" + server.Output);
            using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) })
            {
                Timeout = TimeSpan.FromSeconds(20),
            };

            // Keys and the list, through the API of the first process.
            var submitterKey = await CreateKeyAsync(http, server.BaseAddress, adminKey, "submitter");
            var reviewerKey = await CreateKeyAsync(http, server.BaseAddress, adminKey, "reviewer");
            var auditorKey = await CreateKeyAsync(http, server.BaseAddress, adminKey, "auditor");
            var csv = string.Join('\n', File.ReadAllLines(TestPaths.PdqFile("photos/expected.csv")).Where(l => Listed.Any(p => l.EndsWith("," + p, StringComparison.Ordinal)))) + "\n";
            using (var import = new HttpRequestMessage(HttpMethod.Post, new Uri(server.BaseAddress, $"/api/v1/lists/{ListName}/import?format=csv")))
            {
                import.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                import.Content = new StringContent(csv, Encoding.UTF8, "text/csv");
                using var imported = await http.SendAsync(import);
                Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
            }

            cluster.Up(server.BaseAddress);

            // The client: Clients tasks stream reports until told to stop; every report is retried with its own key until acknowledged.
            var ledger = new ConcurrentBag<AckedReport>();
            var stats = new ClientStats();
            using var stopSending = new CancellationTokenSource();
            var nextIndex = -1;
            var clients = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
            {
                while (!stopSending.IsCancellationRequested)
                {
                    var plan = Plan(Interlocked.Increment(ref nextIndex), photos);
                    ledger.Add(await SubmitUntilAcknowledgedAsync(http, cluster, submitterKey, plan, stats));
                }
            })).ToArray();

            // The killer: 3 to 5 SIGKILLs at seeded random moments, each once a request is in flight and a job is leased.
            var rng = new Random(Seed);
            var kills = rng.Next(3, 6);
            var killLog = new List<string>();
            var downtime = TimeSpan.Zero;
            var recoveries = new List<NeedleProcess>();
            for (var k = 1; k <= kills; k++)
            {
                await Task.Delay(rng.Next(800, 2500));
                var (inFlight, leased, waited) = await WaitForActivityAsync(db, stats, TimeSpan.FromSeconds(2));
                cluster.Down();
                var down = Stopwatch.StartNew();
                server.Kill();
                killLog.Add($"kill {k} at {total.Elapsed.TotalSeconds:F1} s (pid {server.ProcessId}): {inFlight} requests in flight, {leased} jobs leased (waited {waited.TotalMilliseconds:F0} ms for them)");
                server.Dispose();
                server = await NeedleProcess.StartAsync(db, workers: 2, startTimeout);
                downtime += down.Elapsed;
                recoveries.Add(server);
                cluster.Up(server.BaseAddress);
            }

            await Task.Delay(rng.Next(300, 800));
            await stopSending.CancelAsync();
            await Task.WhenAll(clients);
            var sendingEnded = total.Elapsed;

            // A last SIGKILL with the backlog still being processed, then the final restart.
            var (finalInFlight, finalLeased, _) = await WaitForActivityAsync(db, stats, TimeSpan.FromMilliseconds(500));
            cluster.Down();
            server.Kill();
            killLog.Add($"final kill at {total.Elapsed.TotalSeconds:F1} s, sending done (pid {server.ProcessId}): {finalInFlight} requests in flight, {finalLeased} jobs leased");
            server.Dispose();
            server = await NeedleProcess.StartAsync(db, workers: 2, startTimeout);
            var restarted = total.Elapsed;
            recoveries.Add(server);

            var acked = ledger.ToList();
            output.WriteLine($"seed {Seed}: {acked.Count} reports acknowledged ({acked.Sum(a => a.Files.Count)} files) by {Clients} clients in {sendingEnded.TotalSeconds:F1} s; " +
                $"{stats.Failures} requests failed by the kills, {stats.Replayed} retries answered 'Idempotent-Replayed' (stored before the kill, not acknowledged); " +
                $"{downtime.TotalSeconds:F1} s of downtime over {kills} restarts");
            foreach (var line in killLog)
            {
                output.WriteLine(line);
            }

            await Task.Delay(200);
            foreach (var line in recoveries.SelectMany(r => r.Errors.Split('\n')).Where(l => l.Contains("Gave back", StringComparison.Ordinal)))
            {
                output.WriteLine("restart: " + line.Trim());
            }

            // Every acknowledged report reaches processed: nothing is left waiting for a dead worker's lease.
            var processed = await WaitAllProcessedAsync(http, server.BaseAddress, reviewerKey, TimeSpan.FromSeconds(30));
            if (processed < TimeSpan.Zero)
            {
                Assert.Fail($"reports still not processed 30 s after the final restart:\n{await DescribeOpenJobsAsync(db)}");
            }

            output.WriteLine($"all processed {processed.TotalSeconds:F1} s after the final restart");

            var view = await ObserveAsync(http, server.BaseAddress, reviewerKey, auditorKey, acked);
            var problems = FaultLedger.Verify(acked, view);
            Assert.True(problems.Count == 0, $"{problems.Count} problems:\n" + string.Join('\n', problems.Take(50)));
            Assert.True(await AuditIntactAsync(http, server.BaseAddress, auditorKey), "the audit chain is broken");

            // A graceful stop, then the file itself: integrity, and the same counts straight from the tables.
            Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(30)));
            await using (var store = new SqliteNeedleStore(db))
            {
                Assert.Equal("ok", await store.CheckIntegrityAsync());
            }

            var counts = await CountAsync(db);
            Assert.Equal(acked.Count, counts.Reports);
            Assert.Equal(acked.Count, counts.Jobs);
            Assert.Equal(acked.Count, counts.JobsDone);
            Assert.Equal(acked.Sum(a => a.Files.Count), counts.Files);
            Assert.Equal(acked.Sum(a => a.Files.Sum(f => f.Labels.Count)), counts.Matches);
            output.WriteLine($"jobs run more than once (leased when a kill came): {counts.JobsRetried}; total {total.Elapsed.TotalSeconds:F1} s (restart to verified {(total.Elapsed - restarted).TotalSeconds:F1} s)");

            // The run exercised what it is for.
            Assert.InRange(kills, 3, 5);
            Assert.True(stats.Failures > 0, "no request was cut by a kill");
            Assert.True(acked.Count >= 20, $"only {acked.Count} reports were acknowledged");
        }
        finally
        {
            if (server is not null)
            {
                output.WriteLine("last server's stderr (tail):\n" + NeedleProcess.Tail(server.Errors, 15));
                server.Dispose();
            }

            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public void The_checks_catch_a_lost_a_duplicated_an_unprocessed_and_a_twice_matched_report()
    {
        var a = new AckedReport("k1", Guid.NewGuid(), [new ExpectedFile("hashed", ["photos/p06_yellow_rose.png"]), new ExpectedFile("hashed", [])]);
        var b = new AckedReport("k2", Guid.NewGuid(), [new ExpectedFile("hashes-only", [])]);
        ObservedReport Observed(AckedReport r) => new(r.ReportId, "processed", [.. r.Files.Select(f => new ObservedFile(f.State, f.Labels))]);
        var good = new ServerView(new Dictionary<Guid, ObservedReport> { [a.ReportId] = Observed(a), [b.ReportId] = Observed(b) }, [a.ReportId, b.ReportId], 2);
        Assert.Empty(FaultLedger.Verify([a, b], good));

        // Lost: acknowledged, not on the server.
        var lost = good with { Reports = new Dictionary<Guid, ObservedReport> { [a.ReportId] = Observed(a) }, Listed = [a.ReportId], SubmitAuditEntries = 1 };
        Assert.Contains(FaultLedger.Verify([a, b], lost), p => p.StartsWith("LOST", StringComparison.Ordinal));

        // Stored twice: a second report the client never had acknowledged for its key.
        var extra = Guid.NewGuid();
        var twice = good with { Listed = [a.ReportId, b.ReportId, extra], SubmitAuditEntries = 3 };
        var problems = FaultLedger.Verify([a, b], twice);
        Assert.Contains(problems, p => p.StartsWith("DUPLICATE", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("3 reports for 2 distinct", StringComparison.Ordinal));

        // Never processed.
        var waiting = good with { Reports = new Dictionary<Guid, ObservedReport> { [a.ReportId] = Observed(a) with { Status = "received" }, [b.ReportId] = Observed(b) } };
        Assert.Contains(FaultLedger.Verify([a, b], waiting), p => p.Contains("not processed", StringComparison.Ordinal));

        // Processed twice with both result sets kept: the listed file matches twice.
        var doubled = Observed(a) with { Files = [new ObservedFile("hashed", ["photos/p06_yellow_rose.png", "photos/p06_yellow_rose.png"]), new ObservedFile("hashed", [])] };
        var matchedTwice = good with { Reports = new Dictionary<Guid, ObservedReport> { [a.ReportId] = doubled, [b.ReportId] = Observed(b) } };
        Assert.Contains(FaultLedger.Verify([a, b], matchedTwice), p => p.Contains("expected exactly", StringComparison.Ordinal));

        // The same key acknowledged with two ids.
        Assert.NotEmpty(FaultLedger.Verify([a, b, a with { ReportId = extra }], twice));
    }

    internal sealed record Photo(string Path, byte[] Bytes, string Pdq, bool Listed);

    internal sealed record PlannedReport(int Index, string Key, bool HashesOnly, IReadOnlyList<Photo> Photos)
    {
        public IReadOnlyList<ExpectedFile> Expected => [.. Photos.Select(p => new ExpectedFile(HashesOnly ? "hashes-only" : "hashed", p.Listed ? [p.Path] : []))];
    }

    private sealed class ClientStats
    {
        private int _inFlight;
        private int _failures;
        private int _replayed;

        public int InFlight => Volatile.Read(ref _inFlight);

        public int Failures => Volatile.Read(ref _failures);

        public int Replayed => Volatile.Read(ref _replayed);

        public void Begin() => Interlocked.Increment(ref _inFlight);

        public void End() => Interlocked.Decrement(ref _inFlight);

        public void Failed() => Interlocked.Increment(ref _failures);

        public void Replay() => Interlocked.Increment(ref _replayed);
    }

    /// <summary>Where the server is: a task that completes with its address while it is up, and is replaced when it goes down.</summary>
    private sealed class Cluster
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource<Uri> _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<Uri> Current
        {
            get
            {
                lock (_gate)
                {
                    return _up.Task;
                }
            }
        }

        public void Down()
        {
            lock (_gate)
            {
                if (_up.Task.IsCompleted)
                {
                    _up = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }

        public void Up(Uri address)
        {
            lock (_gate)
            {
                _up.TrySetResult(address);
            }
        }
    }

    internal static Dictionary<string, Photo> LoadPhotos()
    {
        var expected = File.ReadAllLines(TestPaths.PdqFile("photos/expected.csv")).Skip(1)
            .Select(l => l.Split(','))
            .ToDictionary(f => f[2], f => f[0], StringComparer.Ordinal);
        return Pool.ToDictionary(p => p, p => new Photo(p, File.ReadAllBytes(TestPaths.PdqFile(p)), expected[p], Listed.Contains(p)), StringComparer.Ordinal);
    }

    /// <summary>Report <paramref name="index"/> of the run: the same for the same seed, whichever client sends it.</summary>
    internal static PlannedReport Plan(int index, Dictionary<string, Photo> photos)
    {
        var rng = new Random(unchecked((Seed * 1_000_003) + index)); // not HashCode.Combine: randomised per process
        var key = new byte[16];
        rng.NextBytes(key);
        var hashesOnly = rng.NextDouble() < 0.2;
        var chosen = Pool.OrderBy(_ => rng.Next()).Take(rng.Next(1, 4)).Select(p => photos[p]).ToList();
        return new PlannedReport(index, new Guid(key).ToString(), hashesOnly, chosen);
    }

    internal static HttpRequestMessage BuildRequest(Uri server, string submitterKey, PlannedReport plan)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/api/v1/reports"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", submitterKey);
        request.Headers.Add("Idempotency-Key", plan.Key);
        var externalId = $"fault-{plan.Index}";
        if (plan.HashesOnly)
        {
            request.Content = JsonContent.Create(new
            {
                externalId,
                description = "Kill-and-restart test (hashes only, benign test photos).",
                files = plan.Photos.Select(p => new { originalName = Path.GetFileName(p.Path), hashes = new { pdq = p.Pdq } }).ToArray(),
            });
            return request;
        }

        var report = new
        {
            externalId,
            description = "Kill-and-restart test (benign test photos).",
            files = plan.Photos.Select((p, i) => new { part = $"f{i}", originalName = Path.GetFileName(p.Path) }).ToArray(),
        };
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < plan.Photos.Count; i++)
        {
            var part = new ByteArrayContent(plan.Photos[i].Bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(part, $"f{i}", Path.GetFileName(plan.Photos[i].Path));
        }

        request.Content = form;
        return request;
    }

    /// <summary>Sends a report until a 202 comes back, through kills and restarts, always with the same Idempotency-Key.</summary>
    private static async Task<AckedReport> SubmitUntilAcknowledgedAsync(HttpClient http, Cluster cluster, string submitterKey, PlannedReport plan, ClientStats stats)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            var server = await cluster.Current.WaitAsync(TimeSpan.FromSeconds(60));
            string? failure;
            stats.Begin();
            try
            {
                using var request = BuildRequest(server, submitterKey, plan);
                using var response = await http.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    if (response.Headers.Contains("Idempotent-Replayed"))
                    {
                        stats.Replay();
                    }

                    return new AckedReport(plan.Key, Guid.Parse(body["id"]!.GetValue<string>()), plan.Expected);
                }

                if ((int)response.StatusCode < 500)
                {
                    // A 4xx is the client's fault or the server's bug, never the kill's: stop the test.
                    throw new InvalidOperationException($"report {plan.Index} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }

                failure = $"HTTP {(int)response.StatusCode}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException e)
            {
                failure = e.Message;
            }
            catch (IOException e)
            {
                failure = e.Message;
            }
            finally
            {
                stats.End();
            }

            // Cut by a kill (or answered 5xx on the way down): wait for the restart, then send the same report again.
            stats.Failed();
            if (deadline.Elapsed > TimeSpan.FromSeconds(60) || attempt > 500)
            {
                throw new TimeoutException($"report {plan.Index} (key {plan.Key}) was never acknowledged; last failure: {failure}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Waits (bounded) until a request is in flight and a worker holds a job, so the kill lands on both.</summary>
    private static async Task<(int InFlight, long Leased, TimeSpan Waited)> WaitForActivityAsync(string db, ClientStats stats, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs WHERE state = 'leased';";
        while (true)
        {
            var leased = Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
            var inFlight = stats.InFlight;
            if ((leased > 0 && inFlight > 0) || waited.Elapsed > limit)
            {
                return (inFlight, leased, waited.Elapsed);
            }

            await Task.Delay(2);
        }
    }

    internal static async Task<string> CreateKeyAsync(HttpClient http, Uri server, string adminKey, string role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/api/v1/keys")) { Content = JsonContent.Create(new { name = "fault-" + role, role }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["key"]!.GetValue<string>();
    }

    internal static async Task<JsonNode> GetJsonAsync(HttpClient http, Uri server, string key, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Polls until no report is 'received'; the time it took, or a negative span on time-out.</summary>
    internal static async Task<TimeSpan> WaitAllProcessedAsync(HttpClient http, Uri server, string reviewerKey, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var page = await GetJsonAsync(http, server, reviewerKey, "/api/v1/reports?status=received&limit=1");
            if (page["items"]!.AsArray().Count == 0)
            {
                return waited.Elapsed;
            }

            if (waited.Elapsed > timeout)
            {
                return TimeSpan.FromTicks(-1);
            }

            await Task.Delay(50);
        }
    }

    internal static async Task<ServerView> ObserveAsync(HttpClient http, Uri server, string reviewerKey, string auditorKey, IReadOnlyList<AckedReport> acked)
    {
        // Every acknowledged report by id, four at a time.
        var reports = new ConcurrentDictionary<Guid, ObservedReport>();
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (report, ct) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, $"/api/v1/reports/{report.ReportId}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", reviewerKey);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!;
            var files = body["files"]!.AsArray().Select(f => new ObservedFile(
                f!["state"]!.GetValue<string>(),
                [.. f["matches"]!.AsArray().Select(m => m!["label"]!.GetValue<string>())])).ToList();
            reports[report.ReportId] = new ObservedReport(report.ReportId, body["status"]!.GetValue<string>(), files);
        });

        // Every stored report, through the listing's pages.
        var listed = new List<Guid>();
        string? after = null;
        do
        {
            var page = await GetJsonAsync(http, server, reviewerKey, "/api/v1/reports?limit=500" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)));
            listed.AddRange(page["items"]!.AsArray().Select(r => Guid.Parse(r!["id"]!.GetValue<string>())));
            after = page["next"]?.GetValue<string>();
        }
        while (after is not null);

        // One report.submit audit entry per stored report.
        var submits = 0;
        long? next = 0;
        while (next is { } from)
        {
            var page = await GetJsonAsync(http, server, auditorKey, $"/api/v1/audit?after={from}&limit=1000");
            submits += page["items"]!.AsArray().Count(e => e!["action"]!.GetValue<string>() == "report.submit");
            next = page["next"]?.GetValue<long?>();
        }

        return new ServerView(reports, listed, submits);
    }

    internal static async Task<bool> AuditIntactAsync(HttpClient http, Uri server, string auditorKey) =>
        (await GetJsonAsync(http, server, auditorKey, "/api/v1/audit/verify"))["isIntact"]!.GetValue<bool>();

    private static async Task<(long Reports, long Jobs, long JobsDone, long JobsRetried, long Files, long Matches)> CountAsync(string db)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        async Task<long> Scalar(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }

        return (
            await Scalar("SELECT COUNT(*) FROM reports;"),
            // Processing jobs only: each processed report also enqueues a triage job, which this test does not follow.
            await Scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'process-report';"),
            await Scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'process-report' AND state = 'done';"),
            await Scalar("SELECT COUNT(*) FROM jobs WHERE kind = 'process-report' AND attempts > 1;"),
            await Scalar("SELECT COUNT(*) FROM files;"),
            await Scalar("SELECT COUNT(*) FROM matches;"));
    }

    private static async Task<string> DescribeOpenJobsAsync(string db)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, state, attempts, leased_by, leased_until, last_error FROM jobs WHERE state <> 'done' ORDER BY id LIMIT 20;";
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new StringBuilder();
        while (await reader.ReadAsync())
        {
            lines.Append(CultureInfo.InvariantCulture, $"job {reader.GetInt64(0)}: {reader.GetString(1)}, attempts {reader.GetInt64(2)}, leased by {(reader.IsDBNull(3) ? "-" : reader.GetString(3))}")
                .Append(CultureInfo.InvariantCulture, $" until {(reader.IsDBNull(4) ? "-" : new DateTime(reader.GetInt64(4), DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture))}")
                .Append(CultureInfo.InvariantCulture, $", last error {(reader.IsDBNull(5) ? "-" : reader.GetString(5))}\n");
        }

        return lines.ToString();
    }
}
