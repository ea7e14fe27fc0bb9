using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Needle.Testing.Postgres;

/// <summary>
/// The PostgreSQL server of a test run: the one named by <c>NEEDLE_TEST_POSTGRES</c> (a connection string to a role that
/// may create databases), or else one started here with <c>initdb</c> and <c>pg_ctl</c> in a temporary folder, on a free
/// port of 127.0.0.1, and stopped at the end. Each test gets a database of its own from <see cref="CreateDatabase"/>.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    /// <summary>The variable naming a server to use instead of starting one: an Npgsql connection string.</summary>
    public const string EnvironmentVariable = "NEEDLE_TEST_POSTGRES";

    private const string MissingMessage =
        "The PostgreSQL tests need a PostgreSQL server: install its binaries (Debian/Ubuntu: apt-get install postgresql) " +
        "so the tests can start their own, or set " + EnvironmentVariable + " to the connection string of a server where the role may create databases.";

    private string? _folder;
    private string? _binaries;
    private bool _runAsPostgres;

    /// <summary>The connection string of the maintenance database (postgres).</summary>
    public string AdminConnectionString { get; private set; } = string.Empty;

    /// <summary>Uses the server of <see cref="EnvironmentVariable"/>, or initializes and starts one of its own.</summary>
    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            AdminConnectionString = given;
            return;
        }

        _binaries = FindBinaries() ?? throw new InvalidOperationException(MissingMessage);

        // PostgreSQL refuses to run as root: then the server runs as the postgres user of the Debian package.
        _runAsPostgres = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        _folder = Path.Combine(Path.GetTempPath(), "needle-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        if (_runAsPostgres)
        {
            await RunAsync("chown", ["postgres:postgres", _folder], asPostgres: false);
        }

        var data = Path.Combine(_folder, "data");
        await RunAsync(Path.Combine(_binaries, "initdb"), ["-D", data, "-U", "needle", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], _runAsPostgres);

        // A free port can be taken by someone else before the server binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var settings = string.Create(
                CultureInfo.InvariantCulture,
                $"-k {_folder} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c full_page_writes=off -c max_connections=200");
            try
            {
                await RunAsync(Path.Combine(_binaries, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "-o", settings, "start"], _runAsPostgres);
                AdminConnectionString = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1",
                    Port = port,
                    Username = "needle",
                    Database = "postgres",
                    Pooling = false,
                }.ConnectionString;
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Retried on another port.
            }
        }
    }

    /// <summary>Stops the server started here, if any, and deletes its folder.</summary>
    public async Task DisposeAsync()
    {
        if (_folder is null || _binaries is null)
        {
            return;
        }

        try
        {
            await RunAsync(Path.Combine(_binaries, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"], _runAsPostgres);
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temp folder; harmless.
            }
            catch (UnauthorizedAccessException)
            {
                // Idem.
            }
        }
    }

    /// <summary>Creates an empty database (synchronously: test constructors call it) and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = "needle_test_" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
            command.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    /// <summary>Drops a database made by <see cref="CreateDatabase"/>, ending its sessions.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE);", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string? FindBinaries()
    {
        static bool Has(string directory) => File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

        // Debian keeps them off the PATH, one folder per major version: the newest wins.
        const string Debian = "/usr/lib/postgresql";
        if (Directory.Exists(Debian))
        {
            var newest = Directory.GetDirectories(Debian)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => Has(d.Directory))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Directory)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(Has);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var argument in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
