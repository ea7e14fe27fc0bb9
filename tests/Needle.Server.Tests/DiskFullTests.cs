using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Needle.Core.Access;
using Needle.Core.Storage;
using Needle.Storage.Sqlite;
using Needle.Testing.Images;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Intake on a full disk, on a real SQLite file: a page limit (<c>max_page_count</c>) makes SQLite answer SQLITE_FULL
/// exactly as a full disk does. Intake answers 507 with a problem naming the cause and a Retry-After, every report
/// answered 202 before is kept and processed, and intake and the workers carry on once space returns.
/// </summary>
public sealed class DiskFullTests
{
    [Fact]
    public async Task Intake_answers_507_on_a_full_database_keeps_every_accepted_report_and_recovers_when_space_returns()
    {
        await using var server = await RunningServer.StartAsync((options, database) =>
        {
            // The file migrated, with 1 MB of filler an operator can free later; the store capped a little above it.
            var pages = PrepareAsync(database).GetAwaiter().GetResult();
            return options with
            {
                Store = services =>
                {
                    services.AddSingleton(new StoreDescription("SQLite " + database, SharedByNodes: false, DefaultMediaKeyPath: database + ".key"));
                    services.AddSingleton<INeedleStore>(_ => new SqliteNeedleStore(database, new SqliteStoreOptions { MaxPageCount = pages + 120 }));
                },
            };
        });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var accepted = new List<Guid>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 200 && refused is null; i++)
        {
            var response = await PostAsync(submitter, i);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add(await ReportIdAsync(response));
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await RunningServer.JsonAsync(refused);
        Assert.Equal(507, problem["status"]!.GetValue<int>());
        Assert.Equal("The server's storage is full.", problem["title"]!.GetValue<string>());
        Assert.Contains("no room left", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("Sqlite", problem.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.NotEmpty(accepted);

        // Every report answered 202 is there.
        foreach (var id in accepted)
        {
            Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/api/v1/reports/{id}")).StatusCode);
        }

        // Space returns (the operator drops the filler): intake takes reports again, and every accepted report is processed.
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.DatabasePath, Pooling = false, DefaultTimeout = 30 }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA busy_timeout = 30000; DROP TABLE filler;";
            await command.ExecuteNonQueryAsync();
        }

        var after = await PostAsync(submitter, 1000);
        Assert.Equal(HttpStatusCode.Accepted, after.StatusCode);
        accepted.Add(await ReportIdAsync(after));
        foreach (var id in accepted)
        {
            var report = await EndToEndTests.PollProcessedAsync(reviewer, id);
            Assert.Equal("hashed", report["files"]![0]!["state"]!.GetValue<string>());
        }
    }

    private static async Task<long> PrepareAsync(string database)
    {
        await using (var store = new SqliteNeedleStore(database, new SqliteStoreOptions()))
        {
            await store.MigrateAsync();
        }

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE filler (b BLOB); INSERT INTO filler VALUES (zeroblob(1048576)); PRAGMA page_count;";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, int seed)
    {
        var image = new ByteArrayContent(TestImages.Generated(seed, 320, 240));
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(new { externalId = $"full-{seed}", files = new object[] { new { part = "f1", originalName = "shapes.png" } } }), Encoding.UTF8, "application/json"), "report" },
            { image, "f1", "shapes.png" },
        };
        return await client.PostAsync("/api/v1/reports", form);
    }

    private static async Task<Guid> ReportIdAsync(HttpResponseMessage response) =>
        Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
}
