using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.LoadTest.Common;
using Needle.LoadTest.Flood;
using Needle.Server;

namespace Needle.LoadTest.Links;

/// <summary>
/// Viral media (issue 14, finding 11): N reports, each one of only M images, posted by C clients to a node with W
/// workers (SQLite). Then the triage of every report is waited for (or the time-out), and measured: the bytes of the
/// link tables (link clusters and members, their indexes; the link keys apart) and the triage rate at the start and
/// at the end, which stays flat when a report's triage costs the same however many copies came before.
/// </summary>
internal static class LinksBenchmark
{
    public static async Task<LinksResult> RunAsync(int reports, int images, int concurrency, int workers, bool robust, TimeSpan timeout, Action<string> progress, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-links-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "needle.db");
        try
        {
            var pictures = GeneratedJpegs.Generate(images, seed: 11, 320, 240);
            var notices = new StringWriter(CultureInfo.InvariantCulture);
            var app = await NeedleServer.BuildAsync(FloodBenchmark.Options(database, notices, workers) with { Robust = robust }, cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    using var http = FloodBenchmark.Client(app);
                    var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
                    var key = await NeedleApi.CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
                    var next = -1;
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(
                        async () =>
                        {
                            int i;
                            while ((i = Interlocked.Increment(ref next)) < reports)
                            {
                                await FloodBenchmark.PostAsync(http, key, $"viral-{i}", pictures[i % images], escalate: false, cancellationToken).ConfigureAwait(false);
                                if ((i + 1) % 5000 == 0)
                                {
                                    progress(FormattableString.Invariant($"{i + 1} reports accepted ({clock.Elapsed.TotalSeconds:F0} s)"));
                                }
                            }
                        },
                        cancellationToken))).ConfigureAwait(false);
                    var acceptWall = clock.Elapsed;
                    progress(FormattableString.Invariant($"{reports} reports accepted in {acceptWall.TotalSeconds:F1} s; waiting for triage"));

                    var triaged = 0;
                    while (clock.Elapsed < timeout && (triaged = await CountAsync(database, "SELECT COUNT(*) FROM reports WHERE scored_at IS NOT NULL;", cancellationToken).ConfigureAwait(false)) < reports)
                    {
                        progress(FormattableString.Invariant($"{triaged} reports triaged ({clock.Elapsed.TotalSeconds:F0} s)"));
                        await Task.Delay(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                    }

                    var triageWall = clock.Elapsed;
                    var open = await CountAsync(database, "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'leased');", cancellationToken).ConfigureAwait(false);
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);

                    var (first, last) = await TriageRatesAsync(database, cancellationToken).ConfigureAwait(false);
                    var processedPerSecond = await ProcessedRateAsync(database, cancellationToken).ConfigureAwait(false);
                    var (firstJobMs, lastJobMs) = await TriageJobTimesAsync(database, cancellationToken).ConfigureAwait(false);
                    var members = await CountAsync(database, "SELECT COUNT(*) FROM link_members;", cancellationToken).ConfigureAwait(false);
                    var clusters = await CountAsync(database, "SELECT COUNT(*) FROM link_clusters;", cancellationToken).ConfigureAwait(false);
                    var keys = await CountAsync(database, "SELECT COUNT(*) FROM report_keys;", cancellationToken).ConfigureAwait(false);
                    var linkBytes = await TableBytesAsync(database, ["link_members", "link_clusters"], cancellationToken).ConfigureAwait(false);
                    var keyBytes = await TableBytesAsync(database, ["report_keys"], cancellationToken).ConfigureAwait(false);
                    var robustRows = await CountAsync(database, "SELECT COUNT(*) FROM robust_features;", cancellationToken).ConfigureAwait(false);
                    var robustBytes = await TableBytesAsync(database, ["robust_features"], cancellationToken).ConfigureAwait(false);
                    var size = new FileInfo(database).Length + (File.Exists(database + "-wal") ? new FileInfo(database + "-wal").Length : 0);
                    return new LinksResult(reports, images, acceptWall, triaged, triageWall, first, last, members, clusters, linkBytes, keys, keyBytes, size, open,
                        processedPerSecond, firstJobMs, lastJobMs)
                    {
                        RobustRows = robustRows,
                        RobustTableBytes = robustBytes,
                    };
                }
                finally
                {
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
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

    /// <summary>Reports triaged per second over the first and the last tenth of the triaged reports (by their first score's time).</summary>
    private static async Task<(double First, double Last)> TriageRatesAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT scored_at FROM reports WHERE scored_at IS NOT NULL ORDER BY scored_at;";
        var times = new List<long>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                times.Add(reader.GetInt64(0));
            }
        }

        var tenth = times.Count / 10;
        if (tenth < 2)
        {
            return (0, 0);
        }

        static double Rate(List<long> t, int from, int to) => (to - from) / Math.Max(TimeSpan.FromTicks(t[to] - t[from]).TotalSeconds, 1e-3);
        return (Rate(times, 0, tenth), Rate(times, times.Count - 1 - tenth, times.Count - 1));
    }

    /// <summary>Reports processed (hashed) per second, from the first to the last processing.</summary>
    private static async Task<double> ProcessedRateAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(processed_at), MAX(processed_at) FROM reports WHERE processed_at IS NOT NULL;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false) || reader.GetInt64(0) < 2)
        {
            return 0;
        }

        return (reader.GetInt64(0) - 1) / Math.Max(TimeSpan.FromTicks(reader.GetInt64(2) - reader.GetInt64(1)).TotalSeconds, 1e-3);
    }

    /// <summary>
    /// Mean wall time of a triage job over the first and the last tenth of them: each worker runs its jobs one after
    /// the other, so a job took from its worker's previous job's end to its own (lease and store writes included).
    /// </summary>
    private static async Task<(double First, double Last)> TriageJobTimesAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT kind, leased_by, finished_at FROM jobs WHERE state = 'done' AND finished_at IS NOT NULL AND leased_by IS NOT NULL ORDER BY finished_at;";
        var previous = new Dictionary<string, long>(StringComparer.Ordinal);
        var triage = new List<double>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (kind, worker, finished) = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2));
                if (kind == "triage-report" && previous.TryGetValue(worker, out var before))
                {
                    triage.Add(TimeSpan.FromTicks(finished - before).TotalMilliseconds);
                }

                previous[worker] = finished;
            }
        }

        var tenth = triage.Count / 10;
        return tenth < 1 ? (0, 0) : (triage.Take(tenth).Average(), triage.Skip(triage.Count - tenth).Average());
    }

    /// <summary>
    /// Bytes of these tables and their indexes: copied (with their own DDL) into an empty database file beside, whose
    /// size is then read; the bundled SQLite has no dbstat.
    /// </summary>
    private static async Task<long> TableBytesAsync(string database, string[] tables, CancellationToken cancellationToken)
    {
        var copy = database + "." + string.Join("-", tables) + ".db";
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await RunAsync(connection, $"ATTACH DATABASE '{copy}' AS measured;", cancellationToken).ConfigureAwait(false);
        foreach (var table in tables)
        {
            var ddl = new List<string>();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT type, name, sql FROM main.sqlite_master WHERE tbl_name = @table AND sql IS NOT NULL ORDER BY type DESC;";
                command.Parameters.AddWithValue("@table", table);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var (type, name, sql) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
                    var at = sql.IndexOf(name, StringComparison.Ordinal);

                    // A renamed table's DDL has its name quoted: the schema goes before the quote.
                    at = at > 0 && sql[at - 1] == '"' ? at - 1 : at;
                    ddl.Add(string.Concat(sql.AsSpan(0, at), "measured.", sql.AsSpan(at)));
                }
            }

            // The table first (type 'table' sorts after 'index' descending), then its indexes, then the rows.
            foreach (var statement in ddl)
            {
                await RunAsync(connection, statement, cancellationToken).ConfigureAwait(false);
            }

            await RunAsync(connection, $"INSERT INTO measured.{table} SELECT * FROM main.{table};", cancellationToken).ConfigureAwait(false);
        }

        await RunAsync(connection, "DETACH DATABASE measured;", cancellationToken).ConfigureAwait(false);
        var bytes = new FileInfo(copy).Length;
        File.Delete(copy);
        return bytes;
    }

    private static async Task RunAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> CountAsync(string database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private static async Task<SqliteConnection> OpenAsync(string database, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, ForeignKeys = false }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
