using Needle.Testing.Postgres;
using Npgsql;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>
/// The <c>workers</c> harness: an API node in this process and real <c>needle worker</c> child processes (the needle.dll
/// built beside the tests), on a database the harness creates on the run's PostgreSQL server and drops afterwards.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkersHarnessTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_tiny_workers_run_with_1_and_2_processes_prints_consistent_figures_and_drops_its_databases()
    {
        var before = await BenchDatabasesAsync();

        var result = await RunAsync(
            "workers", "--postgres", postgres.AdminConnectionString, "--processes", "1,2", "--reports", "4", "--files-per-report", "1",
            "--list-entries", "100", "--changes", "2", "--list-poll", "0.5");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest workers: 4 reports x 1 JPEGs, list of 100 PDQ entries, 1 job(s) at once per process, PostgreSQL", lines[0], StringComparison.Ordinal);
        Assert.Equal(["processes", "files/s", "ratio", "seconds", "visible", "p50", "visible", "p95", "max"], Fields(lines[1]));

        // One row per process count; the ratio is against the first row; 4 files over the seconds shown; the
        // visibility percentiles in order (2 changes timed, each at least nothing).
        var rows = lines.Skip(2).Take(2).Select(Fields).ToList();
        Assert.Equal(["1", "2"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(7, r.Length));
        Assert.Equal("1.00", rows[0][2]);
        Assert.Equal(Number(rows[1][1]) / Number(rows[0][1]), Number(rows[1][2]), 0.1 * Number(rows[1][2]) + 0.01);
        Assert.All(rows, r =>
        {
            Assert.True(Number(r[1]) > 0 && Number(r[3]) > 0, string.Join(' ', r));
            Assert.True(Number(r[4]) <= Number(r[5]) && Number(r[5]) <= Number(r[6]), string.Join(' ', r));
        });
        Assert.StartsWith("ratio: files/s against the first row; visible: ", lines[4], StringComparison.Ordinal);
        Assert.Contains("2 worker process(es) up and warmed", result.Error, StringComparison.Ordinal);

        // Each run made its own database and dropped it.
        Assert.Equal(before, await BenchDatabasesAsync());
    }

    [Fact]
    public async Task Bad_arguments_are_a_usage_error_and_touch_no_database()
    {
        var before = await BenchDatabasesAsync();
        Assert.Equal(2, (await RunAsync("workers", "--postgres", postgres.AdminConnectionString, "--processes", "0")).ExitCode);
        Assert.Equal(2, (await RunAsync("workers", "--postgres", postgres.AdminConnectionString, "--list-poll", "0")).ExitCode);
        Assert.Equal(before, await BenchDatabasesAsync());
    }

    private async Task<List<string>> BenchDatabasesAsync()
    {
        await using var connection = new NpgsqlConnection(postgres.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'needle_bench_%' ORDER BY datname;", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
