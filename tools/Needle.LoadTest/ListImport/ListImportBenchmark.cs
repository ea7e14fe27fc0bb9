using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Needle.LoadTest.Common;
using Needle.LoadTest.Lists;
using Needle.Server;
using Needle.Storage.Postgres;
using Needle.Storage.Sqlite;
using Npgsql;

namespace Needle.LoadTest.ListImport;

/// <summary>Times one list import over HTTP into a fresh server per backend (the file generated once, up front).</summary>
internal static class ListImportBenchmark
{
    public static async Task<IReadOnlyList<(string Backend, double Seconds, double CpuSeconds)>> RunAsync(int entries, int seed, string? postgres, bool streamUpload, bool gzip,
        bool postgresFirst, Action<string> progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-list-import-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // Streamed: the native list is generated into the request body while sent (no list file on disk).
            var list = streamUpload ? GeneratedList.InMemory(entries, seed) : GeneratedList.Write(folder, entries, seed);
            progress(list.OnDisk
                ? FormattableString.Invariant($"generated {list.Entries:N0} entries ({new FileInfo(list.NativePath).Length / 1e6:F0} MB native)")
                : FormattableString.Invariant($"{list.Requested:N0} entries to generate into the request body{(gzip ? " (gzip)" : "")}"));
            var keyPath = Path.Combine(folder, "media.key");
            await File.WriteAllTextAsync(keyPath, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var results = new List<(string, double, double)>();
            if (!postgresFirst)
            {
                results.Add(await SqliteAsync().ConfigureAwait(false));
            }

            if (postgres is not null)
            {
                var database = "needle_bench_" + Guid.NewGuid().ToString("N");
                var connectionString = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString;
                await AdminAsync(postgres, $"CREATE DATABASE {database};", cancellationToken).ConfigureAwait(false);
                try
                {
                    var (seconds, cpu) = await ImportAsync(services => services.AddPostgresStore(connectionString), folder, list, gzip, progress, cancellationToken).ConfigureAwait(false);
                    progress(FormattableString.Invariant($"PostgreSQL: {list.Requested:N0} entries in {seconds:F1} s ({cpu:F1} CPU s in this process)"));
                    results.Add(("PostgreSQL", seconds, cpu));
                }
                finally
                {
                    NpgsqlConnection.ClearAllPools();
                    await AdminAsync(postgres, $"DROP DATABASE IF EXISTS {database} WITH (FORCE);", CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (postgresFirst)
            {
                results.Add(await SqliteAsync().ConfigureAwait(false));
            }

            async Task<(string, double, double)> SqliteAsync()
            {
                var (sqlite, sqliteCpu) = await ImportAsync(services => services.AddSqliteStore(Path.Combine(folder, "needle.db")), folder, list, gzip, progress, cancellationToken).ConfigureAwait(false);
                progress(FormattableString.Invariant($"SQLite: {list.Requested:N0} entries in {sqlite:F1} s ({sqliteCpu:F1} CPU s in this process)"));
                return ("SQLite", sqlite, sqliteCpu);
            }

            return results;
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

    /// <summary>
    /// Seconds from the first byte sent until the import is committed (200, or its job succeeded), and the CPU seconds
    /// this process (client and server) spent meanwhile: on a shared machine the wall clock is mostly the others' work.
    /// </summary>
    private static async Task<(double Seconds, double CpuSeconds)> ImportAsync(Action<Microsoft.Extensions.DependencyInjection.IServiceCollection> store, string folder, GeneratedList list, bool gzip,
        Action<string> progress, CancellationToken cancellationToken)
    {
        var notices = new StringWriter(CultureInfo.InvariantCulture);
        var app = await NeedleServer.BuildAsync(
                new NeedleServerOptions
                {
                    Store = store,
                    Urls = ["http://127.0.0.1:0"],
                    MediaKeyEnvironmentVariable = null,
                    MediaKeyPath = Path.Combine(folder, "media.key"),
                    Notices = notices,
                    Warnings = new StringWriter(CultureInfo.InvariantCulture),
                    MinimumLogLevel = LogLevel.Warning,
                    Workers = 0,
                    RateLimits = RateLimitOptions.Off,
                },
                cancellationToken)
            .ConfigureAwait(false);
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            using var http = new HttpClient { BaseAddress = new Uri(NeedleServer.Addresses(app).Single()), Timeout = TimeSpan.FromMinutes(30) };
            var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
            using var self = Process.GetCurrentProcess();
            var cpuBefore = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/import?format=needle") { Content = list.UploadContent(gzip) })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var record = await NeedleApi.WaitForImportRecordAsync(http, adminKey, response, cancellationToken).ConfigureAwait(false);
                var imported = record["imported"]!.GetValue<int>();
                if (record["startedAt"] is { } started && record["finishedAt"] is { } finished)
                {
                    // The job alone, from its record (it starts with the upload's first bytes).
                    var job = (finished.GetValue<DateTimeOffset>() - started.GetValue<DateTimeOffset>()).TotalSeconds;
                    progress(FormattableString.Invariant($"  the import job (startedAt..finishedAt): {job:F1} s, {imported / job:F0} entries/s"));
                }

                if (imported != list.Requested)
                {
                    throw new InvalidOperationException($"imported {imported} entries of {list.Requested}");
                }
            }

            var seconds = clock.Elapsed.TotalSeconds;
            self.Refresh();
            var cpu = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return (seconds, cpu);
        }
    }

    private static async Task AdminAsync(string adminConnectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
