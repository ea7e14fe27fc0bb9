using System.Net;
using System.Net.Http.Headers;
using Needle.Server;
using Needle.Storage.Sqlite;

namespace Needle.Cli.Tests;

/// <summary><c>needle keys</c> and <c>needle audit verify</c> on a real temporary database, checked against a real server.</summary>
public sealed class KeysCommandTests
{
    [Fact]
    public async Task A_key_created_by_the_cli_authenticates_against_the_server_and_revocation_stops_it()
    {
        using var folder = new TempFolder();
        var created = await CliRunner.RunAsync(folder.Path, "keys", "create", "--role", "auditor", "--name", "cli-test", "--db", "needle.db");
        Assert.Equal(0, created.ExitCode);
        var key = Assert.Single(created.OutLines);
        Assert.StartsWith("ndl_", key, StringComparison.Ordinal);

        var listed = await CliRunner.RunAsync(folder.Path, "keys", "list", "--db", "needle.db");
        Assert.Equal(0, listed.ExitCode);
        var row = Assert.Single(listed.OutLines, l => l.Contains("cli-test", StringComparison.Ordinal));
        Assert.Contains("auditor", row, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed.Out, StringComparison.Ordinal);

        var notices = new StringWriter();
        var options = new NeedleServerOptions
        {
            Store = services => services.AddSqliteStore(folder.File("needle.db")),
            Urls = ["http://127.0.0.1:0"],
            Workers = 0,
            MediaKeyEnvironmentVariable = null,
            KeyCacheDuration = TimeSpan.Zero,
            Notices = notices,
            Warnings = new StringWriter(),
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        };
        await using (var app = await NeedleServer.BuildAsync(options))
        {
            await app.StartAsync();

            // The database already had a key: no admin key is made or printed.
            Assert.DoesNotContain("ndl_", notices.ToString(), StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = new Uri(NeedleServer.Addresses(app).Single()) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/audit/verify")).StatusCode);

            var id = row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            var revoked = await CliRunner.RunAsync(folder.Path, "keys", "revoke", id, "--db", "needle.db");
            Assert.Equal(0, revoked.ExitCode);

            // With the cache off, a revocation made on the database is seen by the next request.
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/audit/verify")).StatusCode);
            await app.StopAsync();
        }

        var verified = await CliRunner.RunAsync(folder.Path, "audit", "verify", "--db", "needle.db");
        Assert.Equal(0, verified.ExitCode);
        Assert.Contains("intact", verified.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_verify_exits_1_and_names_the_broken_entry_when_the_log_was_edited()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, (await CliRunner.RunAsync(folder.Path, "keys", "create", "--role", "admin", "--db", "needle.db")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(folder.Path, "keys", "create", "--role", "reviewer", "--db", "needle.db")).ExitCode);

        // Tamper with the first entry's actor directly in the file (dropping the append-only trigger first, as an
        // attacker with the file could).
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={folder.File("needle.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TRIGGER audit_no_update";
            await command.ExecuteNonQueryAsync();
            command.CommandText = "UPDATE audit SET actor = 'someone-else' WHERE sequence = 1";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }

        var verified = await CliRunner.RunAsync(folder.Path, "audit", "verify", "--db", "needle.db");
        Assert.Equal(1, verified.ExitCode);
        Assert.Contains("BROKEN at sequence 1", verified.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_create_refuses_an_unknown_role_and_a_bad_date()
    {
        using var folder = new TempFolder();
        Assert.NotEqual(0, (await CliRunner.RunAsync(folder.Path, "keys", "create", "--role", "root", "--db", "needle.db")).ExitCode);
        var badDate = await CliRunner.RunAsync(folder.Path, "keys", "create", "--role", "admin", "--expires", "someday", "--db", "needle.db");
        Assert.Equal(2, badDate.ExitCode);
        Assert.Contains("--expires", badDate.Error, StringComparison.Ordinal);
    }
}
