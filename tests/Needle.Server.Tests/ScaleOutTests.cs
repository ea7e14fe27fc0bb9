using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Needle.Server.Tests.Faults;
using Needle.Testing;
using Needle.Testing.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Needle.Server.Tests;

/// <summary>
/// Many processes on one PostgreSQL database, as real <c>needle</c> child processes: an API-only node
/// (<c>needle serve --postgres --workers 0</c>) takes a stream of reports while three <c>needle worker --postgres</c>
/// processes work them; one worker is killed with SIGKILL while it holds a job. Every report is still processed exactly
/// once, the audit chain verifies, and a list change reaches the index of every node (and of a worker started late).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ScaleOutTests(PostgresServer postgres, ITestOutputHelper output)
{
    private const int Reports = 36;
    private const int Clients = 3;

    // A photo not on the list at first: it is added at the end, and must then match on whichever worker runs it.
    private const string LateListed = "photos/p07_gophers.png";

    [Fact]
    public async Task Three_workers_one_killed_mid_job_process_every_report_exactly_once_and_follow_list_changes()
    {
        var total = Stopwatch.StartNew();
        var connectionString = postgres.CreateDatabase();
        var folder = Path.Combine(Path.GetTempPath(), "needle-scale-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var environment = new Dictionary<string, string?>
        {
            // Shared by every node, as the README asks; the connection string through the environment, not argv.
            ["NEEDLE_MEDIA_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["NEEDLE_POSTGRES"] = connectionString,
        };
        var timeout = TimeSpan.FromSeconds(60);
        var nodes = new List<NeedleProcess>();
        try
        {
            var api = new Uri($"http://127.0.0.1:{NeedleProcess.FreePort()}");
            var serve = await NeedleProcess.StartAsync(
                ["serve", "--postgres", "--workers", "0", "--urls", api.ToString().TrimEnd('/'), "--list-poll", "0.5"], folder, environment, api, timeout);
            nodes.Add(serve);
            var adminKey = serve.AdminKey ?? throw new InvalidOperationException("no admin key on stdout:\n" + serve.Output);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var submitterKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "submitter");
            var reviewerKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "reviewer");
            var auditorKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "auditor");
            await ImportListAsync(http, api, adminKey, KillAndRestartTests.Listed);

            // Three workers, started together (2 jobs at once each, short leases so the dead one's job returns quickly).
            var workers = (await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => StartWorkerAsync(folder, environment, timeout)))).ToList();
            nodes.AddRange(workers);
            output.WriteLine($"4 nodes up at {total.Elapsed.TotalSeconds:F1} s");

            // The stream of reports, while the first worker is watched until it holds a job, then killed.
            var photos = KillAndRestartTests.LoadPhotos();
            var acked = new ConcurrentBag<AckedReport>();
            var next = -1;
            var sending = Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < Reports)
                {
                    acked.Add(await SubmitAsync(http, api, submitterKey, KillAndRestartTests.Plan(index, photos)));
                }
            })).ToArray();
            var victim = workers[0];
            var (killedJob, waited) = await WaitForLeaseAsync(connectionString, victim.ProcessId, TimeSpan.FromSeconds(45));
            victim.Kill();
            output.WriteLine($"SIGKILL worker pid {victim.ProcessId} holding job {killedJob} (waited {waited.TotalMilliseconds:F0} ms for it) at {total.Elapsed.TotalSeconds:F1} s");
            await Task.WhenAll(sending);

            var processed = await KillAndRestartTests.WaitAllProcessedAsync(http, api, reviewerKey, TimeSpan.FromSeconds(60));
            Assert.True(processed >= TimeSpan.Zero, "reports still not processed after 60 s:\n" + await DescribeJobsAsync(connectionString));
            output.WriteLine($"{acked.Count} reports processed at {total.Elapsed.TotalSeconds:F1} s");

            // Exactly once: each report's files hold their results once (a listed photo matches exactly once), every job
            // is done once, the killed job was taken over by another worker, and the audit chain verifies.
            var view = await KillAndRestartTests.ObserveAsync(http, api, reviewerKey, auditorKey, [.. acked]);
            var problems = FaultLedger.Verify([.. acked], view);
            Assert.True(problems.Count == 0, $"{problems.Count} problems:\n" + string.Join('\n', problems.Take(50)));
            await using (var db = new NpgsqlConnection(connectionString))
            {
                await db.OpenAsync();

                // The jobs that follow processing (triage, scores) finish too.
                var jobsDone = Stopwatch.StartNew();
                while (await ScalarAsync(db, "SELECT COUNT(*) FROM jobs WHERE state <> 'done';") > 0 && jobsDone.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(100);
                }

                Assert.True(await ScalarAsync(db, "SELECT COUNT(*) FROM jobs WHERE state <> 'done';") == 0, "jobs left:\n" + await DescribeJobsAsync(connectionString));
                Assert.Equal((long)Reports, await ScalarAsync(db, "SELECT COUNT(*) FROM jobs WHERE kind = 'process-report';"));
                Assert.Equal((long)Reports, await ScalarAsync(db, "SELECT COUNT(DISTINCT subject_id) FROM jobs WHERE kind = 'process-report';"));
                Assert.Equal(0L, await ScalarAsync(db, "SELECT COUNT(*) FROM reports WHERE processed_at IS NULL;"));
                Assert.Equal(0L, await ScalarAsync(db, "SELECT COUNT(*) FROM (SELECT file_id, ordinal FROM matches GROUP BY file_id, ordinal HAVING COUNT(*) > 1) AS twice;"));
                Assert.True(await ScalarAsync(db, $"SELECT attempts FROM jobs WHERE id = {killedJob};") >= 2, "the killed worker's job was not leased again");
                var finishedBy = (string)(await new NpgsqlCommand($"SELECT leased_by FROM jobs WHERE id = {killedJob};", db).ExecuteScalarAsync())!;
                Assert.DoesNotContain($"/{victim.ProcessId}/", finishedBy, StringComparison.Ordinal);
            }

            Assert.True(await KillAndRestartTests.AuditIntactAsync(http, api, auditorKey), "the audit chain is broken");

            // A list change through the API node reaches the running nodes, and a worker started after it.
            var changed = Stopwatch.StartNew();
            await AddEntryAsync(http, api, adminKey, photos[LateListed].Pdq, LateListed);
            long target;
            await using (var db = new NpgsqlConnection(connectionString))
            {
                await db.OpenAsync();
                target = await ScalarAsync(db, "SELECT MAX(seq) FROM list_changes;");
            }

            foreach (var node in new[] { serve, workers[1], workers[2] })
            {
                var sequence = await WaitForSequenceAsync(http, node.BaseAddress, target, TimeSpan.FromSeconds(20));
                Assert.True(sequence >= target, $"node {node.BaseAddress} stayed at list sequence {sequence} < {target}");
            }

            output.WriteLine($"list change seen by every running node {changed.Elapsed.TotalMilliseconds:F0} ms after it was made (poll 0.5 s ± 50 %)");
            var late = await StartWorkerAsync(folder, environment, timeout);
            nodes.Add(late);
            Assert.True(await WaitForSequenceAsync(http, late.BaseAddress, target, TimeSpan.FromSeconds(5)) >= target, "the late worker did not load the change");

            // And it matches in the workers: reports with the newly listed photo match it, whichever worker runs them.
            var after = new List<AckedReport>();
            for (var i = 0; i < 6; i++)
            {
                var plan = new KillAndRestartTests.PlannedReport(1000 + i, Guid.NewGuid().ToString(), HashesOnly: false, [photos[LateListed] with { Listed = true }]);
                after.Add(await SubmitAsync(http, api, submitterKey, plan));
            }

            Assert.True(await KillAndRestartTests.WaitAllProcessedAsync(http, api, reviewerKey, TimeSpan.FromSeconds(30)) >= TimeSpan.Zero, "the last reports were not processed");
            var lastView = await KillAndRestartTests.ObserveAsync(http, api, reviewerKey, auditorKey, after);
            foreach (var report in after)
            {
                Assert.Equal([LateListed], lastView.Reports[report.ReportId].Files.Single().Labels);
            }

            output.WriteLine($"done in {total.Elapsed.TotalSeconds:F1} s");

            // SIGTERM stops a worker gracefully (it gives back what it holds) with exit code 0.
            Assert.Equal(0, await late.StopAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            foreach (var node in nodes)
            {
                if (!node.HasExited)
                {
                    output.WriteLine($"pid {node.ProcessId} stderr (tail):\n" + NeedleProcess.Tail(node.Errors, 8));
                }

                node.Dispose();
            }

            NpgsqlConnection.ClearAllPools();
            await postgres.DropDatabaseAsync(connectionString);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_process_on_the_SQLite_file_of_an_API_only_server_processes_its_reports_and_stops_on_SIGTERM()
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-sqlite-worker-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "needle.db");
        var timeout = TimeSpan.FromSeconds(60);
        NeedleProcess? serve = null;
        NeedleProcess? worker = null;
        try
        {
            // One machine, one file: the API node and the worker share the key file beside it.
            serve = await NeedleProcess.StartAsync(db, workers: 0, timeout);
            var api = serve.BaseAddress;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var adminKey = serve.AdminKey ?? throw new InvalidOperationException("no admin key on stdout:\n" + serve.Output);
            var submitterKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "submitter");
            var reviewerKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "reviewer");
            var auditorKey = await KillAndRestartTests.CreateKeyAsync(http, api, adminKey, "auditor");
            await ImportListAsync(http, api, adminKey, KillAndRestartTests.Listed);
            var photos = KillAndRestartTests.LoadPhotos();
            var acked = new List<AckedReport>();
            for (var i = 0; i < 6; i++)
            {
                acked.Add(await SubmitAsync(http, api, submitterKey, KillAndRestartTests.Plan(i, photos)));
            }

            // Nothing runs them until the worker starts.
            Assert.Equal(6, (await KillAndRestartTests.ObserveAsync(http, api, reviewerKey, auditorKey, acked)).Reports.Values.Count(r => r.Status == "received"));
            var health = new Uri($"http://127.0.0.1:{NeedleProcess.FreePort()}");
            worker = await NeedleProcess.StartAsync(
                ["worker", "--db", db, "--concurrency", "2", "--health-url", health.ToString().TrimEnd('/')],
                folder,
                new Dictionary<string, string?> { ["NEEDLE_MEDIA_KEY"] = null },
                health,
                timeout);
            Assert.True(await KillAndRestartTests.WaitAllProcessedAsync(http, api, reviewerKey, TimeSpan.FromSeconds(60)) >= TimeSpan.Zero, "the worker did not process the reports");
            var problems = FaultLedger.Verify(acked, await KillAndRestartTests.ObserveAsync(http, api, reviewerKey, auditorKey, acked));
            Assert.True(problems.Count == 0, string.Join('\n', problems));
            Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(20)));
            Assert.Contains("needle worker: stopping", worker.Errors, StringComparison.Ordinal);
        }
        finally
        {
            worker?.Dispose();
            serve?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Task<NeedleProcess> StartWorkerAsync(string folder, Dictionary<string, string?> environment, TimeSpan timeout)
    {
        var health = new Uri($"http://127.0.0.1:{NeedleProcess.FreePort()}");
        return NeedleProcess.StartAsync(
            ["worker", "--postgres", "--concurrency", "2", "--lease", "3", "--list-poll", "0.5", "--health-url", health.ToString().TrimEnd('/')],
            folder,
            environment,
            health,
            timeout);
    }

    private static async Task ImportListAsync(HttpClient http, Uri api, string adminKey, IEnumerable<string> listed)
    {
        var csv = string.Join('\n', File.ReadAllLines(TestPaths.PdqFile("photos/expected.csv")).Where(l => listed.Any(p => l.EndsWith("," + p, StringComparison.Ordinal)))) + "\n";
        using var import = new HttpRequestMessage(HttpMethod.Post, new Uri(api, $"/api/v1/lists/{KillAndRestartTests.ListName}/import?format=csv"));
        import.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        import.Content = new StringContent(csv, System.Text.Encoding.UTF8, new MediaTypeHeaderValue("text/csv"));
        using var imported = await http.SendAsync(import);
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
    }

    private static async Task AddEntryAsync(HttpClient http, Uri api, string adminKey, string pdq, string label)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(api, $"/api/v1/lists/{KillAndRestartTests.ListName}/entries"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        request.Content = JsonContent.Create(new { entries = new[] { new { signalType = "pdq", value = pdq, label } } });
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"adding the entry: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<AckedReport> SubmitAsync(HttpClient http, Uri api, string submitterKey, KillAndRestartTests.PlannedReport plan)
    {
        using var request = KillAndRestartTests.BuildRequest(api, submitterKey, plan);
        using var response = await http.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"report {plan.Index}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return new AckedReport(plan.Key, Guid.Parse(body["id"]!.GetValue<string>()), plan.Expected);
    }

    /// <summary>Polls the jobs table until the worker with this pid holds a lease; returns that job's id.</summary>
    private static async Task<(long Job, TimeSpan Waited)> WaitForLeaseAsync(string connectionString, int processId, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT id FROM jobs WHERE state = 'leased' AND leased_by LIKE @pattern ORDER BY id LIMIT 1;", db);
        query.Parameters.AddWithValue("pattern", $"%/{processId.ToString(CultureInfo.InvariantCulture)}/%");
        while (true)
        {
            if (await query.ExecuteScalarAsync() is long job)
            {
                return (job, waited.Elapsed);
            }

            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"worker {processId} never held a job in {limit.TotalSeconds:F0} s");
            }

            await Task.Delay(2);
        }
    }

    private static async Task<long> WaitForSequenceAsync(HttpClient http, Uri node, long target, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var ready = JsonNode.Parse(await http.GetStringAsync(new Uri(node, "/readyz")))!;
            var sequence = ready["listSequence"]!.GetValue<long>();
            if (sequence >= target || waited.Elapsed > limit)
            {
                return sequence;
            }

            await Task.Delay(50);
        }
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<string> DescribeJobsAsync(string connectionString)
    {
        await using var db = new NpgsqlConnection(connectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, kind, state, attempts, leased_by, last_error FROM jobs WHERE state <> 'done' ORDER BY id LIMIT 20;", db);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new System.Text.StringBuilder();
        while (await reader.ReadAsync())
        {
            lines.Append(CultureInfo.InvariantCulture, $"job {reader.GetInt64(0)} {reader.GetString(1)}: {reader.GetString(2)}, attempts {reader.GetInt32(3)}, by {(reader.IsDBNull(4) ? "-" : reader.GetString(4))}, error {(reader.IsDBNull(5) ? "-" : reader.GetString(5))}\n");
        }

        return lines.ToString();
    }
}
