using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Needle.Hashing;
using Needle.LoadTest.Common;
using Needle.Matching.Compiled;
using Needle.Matching.Formats;
using Needle.Matching.Index;
using Needle.Matching.Lists;
using Needle.Server;
using Needle.Storage.Postgres;
using Needle.Storage.Sqlite;
using Npgsql;

namespace Needle.LoadTest.Lists;

/// <summary>
/// Lists at size: loads a generated list the way <c>needle scan --against</c> does (native file and CSV), imports it
/// into a server on a SQLite file over HTTP, restarts the server (cold start until it answers), and looks hashes up
/// with <c>GET /m/lookup</c> from concurrent clients, checking answers against a brute-force scan.
/// </summary>
internal static class ListsBenchmark
{
    private const int PdqThreshold = 31;

    public static async Task<ListsRunResult> RunAsync(ListsBenchmarkOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.KeepFolder is not null && !options.ServerOnly)
        {
            throw new InvalidOperationException("--keep needs --server-only");
        }

        var folder = options.KeepFolder is { } kept ? Path.GetFullPath(kept) : Path.Combine(Path.GetTempPath(), "needle-lists-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var clock = Stopwatch.StartNew();
            if (options.StreamUpload && !options.ServerOnly)
            {
                throw new InvalidOperationException("--stream-upload needs --server-only (the scan and compile parts read the list file)");
            }

            if (options.Lean && !options.StreamUpload)
            {
                throw new InvalidOperationException("--lean needs --stream-upload");
            }

            var list = options.StreamUpload ? GeneratedList.InMemory(options.Entries, options.Seed, options.Lean) : GeneratedList.Write(folder, options.Entries, options.Seed);
            progress(list.OnDisk
                ? FormattableString.Invariant($"generated {list.Entries:N0} entries in {clock.Elapsed.TotalSeconds:F1} s ({new FileInfo(list.NativePath).Length / 1e6:F0} MB native, {new FileInfo(list.CsvPath).Length / 1e6:F0} MB CSV)")
                : FormattableString.Invariant($"{list.Requested:N0} entries to generate into the request body (PDQ values in memory in {clock.Elapsed.TotalSeconds:F1} s)"));
            var queries = Queries(list.Pdq, options.Lookups, options.Seed);

            if (options.ServerOnly)
            {
                return await ServerAsync(folder, list, queries, options, progress, cancellationToken).ConfigureAwait(false);
            }

            var (nativeSeconds, managed, rss) = ScanLoad(list.NativePath, folder, list, queries, options.Checked, measureMemory: true);
            progress(FormattableString.Invariant($"scan: native list loaded in {nativeSeconds:F2} s; {managed:F0} B/entry managed, {rss:F0} B/entry resident"));
            var (csvSeconds, _, _) = ScanLoad(list.CsvPath, folder, null, queries, 0, measureMemory: false);
            progress(FormattableString.Invariant($"scan: CSV ({list.Pdq.Length:N0} PDQ entries) loaded in {csvSeconds:F2} s"));
            var compiled = CompiledLoad(list.NativePath, folder, list, queries, options.Checked);
            progress(FormattableString.Invariant($"scan: compiled .ndl ({compiled.Bytes / 1e6:F0} MB) written in {compiled.CompileSeconds:F1} s, opened in {compiled.OpenSeconds:F3} s, first match (columns verified) {compiled.FirstMatchSeconds:F2} s, {compiled.RssBytesPerEntry:F0} B/entry resident"));

            var server = await ServerAsync(folder, list, queries, options, progress, cancellationToken).ConfigureAwait(false);
            double? postgresRate = null;
            if (options.PostgresConnection is { } postgres)
            {
                postgresRate = await PostgresImportAsync(postgres, folder, list, cancellationToken).ConfigureAwait(false);
                progress(FormattableString.Invariant($"server: imported {list.Entries:N0} entries over HTTP into PostgreSQL ({postgresRate:F0}/s)"));
            }

            return server with
            {
                PostgresImportEntriesPerSecond = postgresRate,
                ScanNativeSeconds = nativeSeconds,
                ScanCsvSeconds = csvSeconds,
                CsvEntries = list.Pdq.Length,
                ScanManagedBytesPerEntry = managed,
                ScanRssBytesPerEntry = rss,
                Compiled = compiled,
            };
        }
        finally
        {
            try
            {
                if (options.KeepFolder is null)
                {
                    Directory.Delete(folder, recursive: true);
                }
                else
                {
                    Directory.Delete(Path.Combine(folder, "empty"), recursive: true);
                }
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    /// <summary>Half near copies of listed hashes (0-24 bits flipped), half random hashes.</summary>
    internal static PdqHash[] Queries(PdqHash[] listed, int count, int seed)
    {
        var rng = new Random(seed + 1);
        var queries = new PdqHash[count];
        Span<ulong> words = stackalloc ulong[4];
        for (var i = 0; i < count; i++)
        {
            if (i % 2 == 0)
            {
                listed[rng.Next(listed.Length)].CopyTo(words);
                var flips = rng.Next(25);
                for (var f = 0; f < flips; f++)
                {
                    var bit = rng.Next(256);
                    words[bit / 64] ^= 1UL << (bit % 64);
                }
            }
            else
            {
                for (var w = 0; w < 4; w++)
                {
                    words[w] = (ulong)rng.NextInt64();
                }
            }

            queries[i] = PdqHash.FromWords(words);
        }

        return queries;
    }

    /// <summary>Sorted distances of every listed hash within the threshold: what a correct index returns.</summary>
    internal static int[] BruteForce(PdqHash[] listed, PdqHash query)
    {
        var found = new List<int>();
        foreach (var hash in listed)
        {
            var d = hash.HammingDistance(query);
            if (d <= PdqThreshold)
            {
                found.Add(d);
            }
        }

        found.Sort();
        return [.. found];
    }

    private static (double Seconds, double ManagedPerEntry, double RssPerEntry) ScanLoad(string path, string folder, GeneratedList? check, PdqHash[] queries, int checkedCount, bool measureMemory)
    {
        var (managed0, rss0) = measureMemory ? Memory() : (0, 0);
        var clock = Stopwatch.StartNew();
        var result = HashListFormats.Default.ReadFile(path, new ImportOptions { ListName = "bench", FileName = path, DetailDirectory = folder });
        var matcher = new ListMatcher([result.List], static () => new MultiIndexHammingIndex());
        var seconds = clock.Elapsed.TotalSeconds;
        double managed = 0, rss = 0;
        if (measureMemory)
        {
            var (managed1, rss1) = Memory();
            managed = (managed1 - managed0) / (double)result.List.Count;
            rss = (rss1 - rss0) / (double)result.List.Count;
        }

        if (check is not null)
        {
            for (var i = 0; i < Math.Min(checkedCount, queries.Length); i++)
            {
                var got = matcher.Match(new FileSignals { Pdq = queries[i] }).Matches.Select(m => (int)m.Distance).Order().ToArray();
                if (!got.SequenceEqual(BruteForce(check.Pdq, queries[i])))
                {
                    throw new InvalidOperationException($"scan: query {i} matched [{string.Join(',', got)}], brute force [{string.Join(',', BruteForce(check.Pdq, queries[i]))}]");
                }
            }
        }

        GC.KeepAlive(result);
        matcher.Dispose();
        return (seconds, managed, rss);
    }

    /// <summary>
    /// The native list compiled to <c>.ndl</c> (as <c>needle list compile</c>), then opened as <c>needle scan --against
    /// FILE.ndl</c> does: the open (memory-mapped), the first match (which verifies the column checksums), resident
    /// memory after the checked matches, and those matches against brute force.
    /// </summary>
    private static CompiledRunResult CompiledLoad(string nativePath, string folder, GeneratedList check, PdqHash[] queries, int checkedCount)
    {
        var path = Path.Combine(folder, "bench.ndl");
        var clock = Stopwatch.StartNew();
        Compile(nativePath, path);
        var compileSeconds = clock.Elapsed.TotalSeconds;
        var (_, rss0) = Memory();
        clock.Restart();
        using var file = CompiledListFile.Open(path);
        using var matcher = new ListMatcher([], [file], static () => new MultiIndexHammingIndex());
        var openSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        matcher.Match(new FileSignals { Pdq = queries[0], Md5 = "00000000000000000000000000000000" });
        var firstMatchSeconds = clock.Elapsed.TotalSeconds;
        var identical = 0;
        var total = Math.Min(checkedCount, queries.Length);
        for (var i = 0; i < total; i++)
        {
            var got = matcher.Match(new FileSignals { Pdq = queries[i] }).Matches.Select(m => (int)m.Distance).Order().ToArray();
            identical += got.SequenceEqual(BruteForce(check.Pdq, queries[i])) ? 1 : 0;
        }

        var (_, rss1) = Memory();
        return new CompiledRunResult(new FileInfo(path).Length, compileSeconds, openSeconds, firstMatchSeconds, (rss1 - rss0) / (double)check.Entries, total, identical);
    }

    private static void Compile(string nativePath, string path)
    {
        // As needle list compile does: streamed into columns, details to a side file.
        using var builder = new CompiledListBuilder(Path.GetDirectoryName(path)!);
        _ = builder.TryAddFile(nativePath, new ImportOptions { ListName = "bench", FileName = nativePath }) ?? throw new InvalidOperationException("the generated list cannot be compiled");
        builder.Write(path);
    }

    /// <summary>The native list imported over HTTP into a server on a new PostgreSQL database (dropped afterwards): entries/s.</summary>
    private static async Task<double> PostgresImportAsync(string adminConnection, string folder, GeneratedList list, CancellationToken cancellationToken)
    {
        // Nodes on PostgreSQL share a media key: this one gets its own, in the run's folder.
        var keyPath = Path.Combine(folder, "media.key");
        await File.WriteAllTextAsync(keyPath, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var database = "needle_lists_" + Guid.NewGuid().ToString("N");
        await PostgresAdminAsync(adminConnection, $"CREATE DATABASE {database};", cancellationToken).ConfigureAwait(false);
        try
        {
            var notices = new StringWriter(CultureInfo.InvariantCulture);
            var connection = new NpgsqlConnectionStringBuilder(adminConnection) { Database = database }.ConnectionString;
            var app = await NeedleServer.BuildAsync(
                new NeedleServerOptions
                {
                    Store = services => services.AddPostgresStore(connection),
                    Urls = ["http://127.0.0.1:0"],
                    MediaKeyEnvironmentVariable = null,
                    MediaKeyPath = keyPath,
                    Notices = notices,
                    Warnings = new StringWriter(CultureInfo.InvariantCulture),
                    MinimumLogLevel = LogLevel.Warning,
                    RateLimits = RateLimitOptions.Off,
                },
                cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                using var http = Client(app);
                var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
                var seconds = await ImportAsync(http, adminKey, list.NativePath, cancellationToken).ConfigureAwait(false);
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                return list.Entries / seconds;
            }
        }
        finally
        {
            await PostgresAdminAsync(adminConnection, $"DROP DATABASE IF EXISTS {database} WITH (FORCE);", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task PostgresAdminAsync(string adminConnection, string sql, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(adminConnection);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var command = new NpgsqlCommand(sql, connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>POSTs the native list to <c>/api/v1/lists/bench/import</c>; the seconds it took.</summary>
    private static async Task<double> ImportAsync(HttpClient http, string adminKey, string nativePath, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var file = File.OpenRead(nativePath);
        await using (file.ConfigureAwait(false))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/import?format=needle") { Content = new StreamContent(file, 1 << 20) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"importing the list got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
            }
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<ListsRunResult> ServerAsync(string folder, GeneratedList list, PdqHash[] queries, ListsBenchmarkOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        var database = Path.Combine(folder, "needle.db");
        string submitterKey;
        double importRate = 0;
        var snapshots = options.Snapshots ? Path.Combine(folder, "snapshots") : null;
        var listFile = Path.Combine(folder, "kept-list");
        var keysFile = Path.Combine(folder, "kept-key");
        var listSettings = FormattableString.Invariant($"entries={list.Entries} seed={options.Seed} lean={options.Lean}");
        if (options.KeepFolder is not null && File.Exists(listFile) && File.ReadAllText(listFile) == listSettings && File.Exists(keysFile))
        {
            submitterKey = File.ReadAllText(keysFile).Trim();
            progress($"server: {folder} already holds this list ({listSettings}); no import");
        }
        else
        {
            if (options.KeepFolder is not null && File.Exists(database))
            {
                throw new InvalidOperationException($"{folder} holds a database of another list (or of an interrupted run): give an empty folder");
            }

            (submitterKey, importRate) = await ImportIntoServerAsync(database, snapshots, list, options, progress, cancellationToken).ConfigureAwait(false);
            if (options.KeepFolder is not null)
            {
                // The bench key beside the database it opens, readable by this user only (like the media key file).
                File.WriteAllText(keysFile, submitterKey);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(keysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                File.WriteAllText(listFile, listSettings);
            }
        }

        // The restart is a real `needle serve` process: its start and resident memory are the operator's, and its CPU
        // is counted apart from the clients'. An empty server of the same build is the memory baseline.
        var emptyFolder = Path.Combine(folder, "empty");
        Directory.CreateDirectory(emptyFolder);
        long emptyRss;
        var empty = await NeedleServeProcess.StartAsync(Path.Combine(emptyFolder, "needle.db"), null, cancellationToken).ConfigureAwait(false);
        await using (empty.ConfigureAwait(false))
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            emptyRss = empty.Memory().Resident;
        }

        var second = await NeedleServeProcess.StartAsync(database, snapshots, cancellationToken).ConfigureAwait(false);
        await using (second.ConfigureAwait(false))
        {
            var coldStart = second.Ready.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var rss = second.Memory().Resident;
            var rssPerEntry = (rss - emptyRss) / (double)list.Entries;
            progress(FormattableString.Invariant($"server: a needle serve process ready in {coldStart:F2} s; VmRSS {rss / 1e6:F0} MB, {rssPerEntry:F0} B/entry over an empty server ({emptyRss / 1e6:F0} MB)"));

            using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), MaxConnectionsPerServer = 64 })
            {
                BaseAddress = second.Address,
                Timeout = TimeSpan.FromMinutes(10),
            };
            // A fresh process runs its first thousands of requests through the JIT's quick and instrumented tiers
            // (most of a short run's CPU); the rate asked for is the steady state of a running server, so a warm-up of
            // other queries goes first, untimed.
            var warmup = Queries(list.Pdq, 4096, options.Seed + 1000);
            var warmupClock = Stopwatch.StartNew();
            var warmedUp = 0;
            while (warmupClock.Elapsed < options.Warmup)
            {
                await LookUpAsync(http, submitterKey, warmup, options.Concurrency, new double[warmup.Length], [], cancellationToken).ConfigureAwait(false);
                warmedUp += warmup.Length;
            }

            progress(FormattableString.Invariant($"server: {warmedUp:N0} warm-up lookups (untimed) in {warmupClock.Elapsed.TotalSeconds:F1} s"));

            var latencies = new double[queries.Length];
            var answers = new string[Math.Min(options.Checked, queries.Length)];
            var checkedCount = answers.Length;
            var serverCpu0 = second.CpuTime;
            var clientCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await LookUpAsync(http, submitterKey, queries, options.Concurrency, latencies, answers, cancellationToken).ConfigureAwait(false);
            var elapsed = clock.Elapsed;
            var serverCpu = (second.CpuTime - serverCpu0).TotalMicroseconds / queries.Length;
            var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpu0).TotalMicroseconds / queries.Length;

            // The brute-force check runs after the clock stopped: at 50M PDQ hashes one scan is tens of milliseconds.
            var identical = 0;
            for (var i = 0; i < checkedCount; i++)
            {
                if (Distances(answers[i]).SequenceEqual(BruteForce(list.Pdq, queries[i])))
                {
                    identical++;
                }
            }

            return new ListsRunResult
            {
                Entries = list.Entries,
                ScanNativeSeconds = 0,
                ScanCsvSeconds = 0,
                CsvEntries = 0,
                ScanManagedBytesPerEntry = 0,
                ScanRssBytesPerEntry = 0,
                ImportEntriesPerSecond = importRate,
                ColdStartSeconds = coldStart,
                ServerRssBytesPerEntry = rssPerEntry,
                ServerPeakRssBytes = second.Memory().Peak,
                LookupsPerSecond = queries.Length / elapsed.TotalSeconds,
                LookupP50Ms = Percentiles.Of(latencies, 50),
                LookupP99Ms = Percentiles.Of(latencies, 99),
                LookupServerCpuMicroseconds = serverCpu,
                LookupClientCpuMicroseconds = clientCpu,
                Checked = checkedCount,
                CheckedIdentical = identical,
            };
        }
    }

    /// <summary>Imports the list into an in-process server over HTTP (waiting for its snapshot when kept); returns a submitter key and the rate.</summary>
    private static async Task<(string SubmitterKey, double Rate)> ImportIntoServerAsync(string database, string? snapshots, GeneratedList list, ListsBenchmarkOptions options, Action<string> progress, CancellationToken cancellationToken)
    {
        string submitterKey;
        double importRate;
        var first = new StringWriter(CultureInfo.InvariantCulture);
        var app = await NeedleServer.BuildAsync(ServerOptions(database, first, snapshots), cancellationToken).ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            using var http = Client(app);
            var adminKey = first.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
            submitterKey = await NeedleApi.CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/import?format=needle") { Content = list.UploadContent(options.Gzip) })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                await NeedleApi.WaitForImportAsync(http, adminKey, response, cancellationToken).ConfigureAwait(false);
            }

            importRate = list.Entries / clock.Elapsed.TotalSeconds;
            progress(FormattableString.Invariant($"server: imported {list.Entries:N0} entries over HTTP in {clock.Elapsed.TotalSeconds:F1} s ({importRate:F0}/s)"));
            clock.Restart();
            if (snapshots is not null)
            {
                // An import that large starts a snapshot refresh in the background; a clean shutdown gives it only the
                // host's shutdown timeout, so wait for the file (written under a temporary name, then renamed).
                var snapshot = Path.Combine(snapshots, "bench.ndls");
                while (!File.Exists(snapshot))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                }

                var bytes = new FileInfo(snapshot).Length;
                progress(FormattableString.Invariant($"server: its list snapshot written in the background within {clock.Elapsed.TotalSeconds:F1} s of the import ({bytes / 1e6:F0} MB, {bytes / (double)list.Entries:F0} B/entry on disk)"));
                clock.Restart();
            }

            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            progress(FormattableString.Invariant($"server: stopped in {clock.Elapsed.TotalSeconds:F1} s"));
        }

        // The importing server's heap (lists, the import's buffers) goes back to the system before the restarted
        // server process starts beside this one.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (submitterKey, importRate);
    }

    /// <summary>Looks every query up from <paramref name="concurrency"/> clients; keeps each latency and the first answers' bodies.</summary>
    private static async Task LookUpAsync(
        HttpClient http, string key, PdqHash[] queries, int concurrency, double[] latencies, string[] answers, CancellationToken cancellationToken)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < queries.Length)
                {
                    var sent = Stopwatch.GetTimestamp();
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/m/lookup?signal_type=pdq&signal=" + queries[i]);
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                    using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                    latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"lookup {i} got {(int)response.StatusCode}: {text}");
                    }

                    if (i < answers.Length)
                    {
                        answers[i] = text;
                    }
                }
            },
            cancellationToken))).ConfigureAwait(false);
    }

    private static int[] Distances(string json)
    {
        var distances = new List<int>();
        foreach (var (_, matches) in JsonNode.Parse(json)!.AsObject())
        {
            foreach (var match in matches!.AsArray())
            {
                distances.Add((int)Math.Round(double.Parse(match!["distance"]!.ToString(), CultureInfo.InvariantCulture)));
            }
        }

        distances.Sort();
        return [.. distances];
    }

    private static NeedleServerOptions ServerOptions(string database, StringWriter notices, string? snapshots) => new()
    {
        ListSnapshotDirectory = snapshots,
        Store = services => services.AddSqliteStore(database),
        Urls = ["http://127.0.0.1:0"],
        MediaKeyEnvironmentVariable = null,
        Notices = notices,
        Warnings = new StringWriter(CultureInfo.InvariantCulture),
        MinimumLogLevel = LogLevel.Warning,
        RateLimits = RateLimitOptions.Off,
    };

    private static HttpClient Client(WebApplication app) =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10), MaxConnectionsPerServer = 64 })
        {
            BaseAddress = new Uri(NeedleServer.Addresses(app).Single()),
            Timeout = TimeSpan.FromMinutes(10),
        };

    /// <summary>Managed heap and resident set after a full compacting collection.</summary>
    private static (long Managed, long Resident) Memory()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return (GC.GetTotalMemory(false), process.WorkingSet64);
    }
}
