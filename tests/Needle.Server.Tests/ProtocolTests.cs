using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>Errors as problem details, size limits, the OpenAPI document, health probes.</summary>
public sealed class ProtocolTests
{
    [Fact]
    public async Task Malformed_json_is_a_400_problem_without_internals()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var response = await submitter.PostAsync("/api/v1/reports", new StringContent("{\"files\": [ {\"part\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.NotEmpty(problem["errors"]!.AsArray());

        // Valid JSON of the wrong shape is a 400 too, naming the field.
        var wrong = await submitter.PostAsync("/api/v1/reports", new StringContent("{\"escalate\": \"maybe\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("escalate", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A report that fails validation lists its errors.
        var invalid = await submitter.PostAsync("/api/v1/reports",
            new StringContent("{\"files\": [{\"hashes\": {\"md5\": \"nothex\"}}]}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.NotEmpty(JsonNode.Parse(await invalid.Content.ReadAsStringAsync())!["errors"]!.AsArray());
    }

    [Fact]
    public async Task An_oversized_upload_is_refused_with_413_while_reading()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0, MaxFileBytes = 256 * 1024, MaxReportBytes = 512 * 1024 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var form = new MultipartFormDataContent
        {
            { new StringContent("{\"files\":[{\"part\":\"big\"}]}", Encoding.UTF8, "application/json"), "report" },
            { new ByteArrayContent(new byte[300 * 1024]), "big", "big.jpg" },
        };
        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(413, problem["status"]!.GetValue<int>());
        Assert.Contains("big.jpg", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Over the total with files each under the per-file limit.
        var total = new MultipartFormDataContent
        {
            { new StringContent("{\"files\":[{\"part\":\"a\"},{\"part\":\"b\"},{\"part\":\"c\"}]}", Encoding.UTF8, "application/json"), "report" },
            { new ByteArrayContent(new byte[200 * 1024]), "a", "a.jpg" },
            { new ByteArrayContent(new byte[200 * 1024]), "b", "b.jpg" },
            { new ByteArrayContent(new byte[200 * 1024]), "c", "c.jpg" },
        };
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await submitter.PostAsync("/api/v1/reports", total)).StatusCode);

        // Nothing was stored.
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        Assert.Empty(JsonNode.Parse(await reviewer.GetStringAsync("/api/v1/reports"))!["items"]!.AsArray());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_routes_and_needs_a_key()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/openapi/v1.json")).StatusCode);
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);
        var document = JsonNode.Parse(await auditor.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var path in new[] { "/api/v1/reports", "/api/v1/reports/{id}", "/api/v1/files/{id}/media", "/api/v1/lists", "/api/v1/lists/{name}/entries",
                     "/api/v1/lists/{name}/import", "/api/v1/lookup", "/api/v1/keys", "/api/v1/audit", "/api/v1/audit/verify", "/h/hash", "/m/lookup",
                     "/m/raw_lookup", "/c/banks", "/c/bank/{name}", "/c/bank/{name}/signal", "/livez", "/readyz" })
        {
            Assert.Contains(path, paths);
        }
    }

    [Fact]
    public async Task Health_probes_answer_without_a_key_and_the_first_start_prints_one_admin_key()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);
        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.StartsWith("ndl_", server.AdminKey, StringComparison.Ordinal);
        Assert.True(File.Exists(server.DatabasePath + ".key"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.DatabasePath + ".key"));
        }

        var keys = JsonNode.Parse(await server.Client(server.AdminKey).GetStringAsync("/api/v1/keys"))!.AsArray();
        var only = Assert.Single(keys)!;
        Assert.Equal("admin", only["role"]!.GetValue<string>());
        Assert.Null(only["key"]);
    }

    [Fact]
    public async Task A_revoked_key_stops_at_once_through_the_api()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var (id, key) = await server.CreateKeyAsync(ApiRole.Auditor);
        var auditor = server.Client(key);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client(server.AdminKey).DeleteAsync($"/api/v1/keys/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await auditor.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task An_admin_list_change_over_http_is_audited_with_the_key_and_the_remote_address()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var adminId = server.AdminKey.Substring(4, 32);
        var admin = server.Client(server.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "audited" })).StatusCode);
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);

        var audit = (await RunningServer.JsonAsync(await auditor.GetAsync("/api/v1/audit?limit=1000")))["items"]!.AsArray();
        var created = Assert.Single(audit, e => e!["action"]!.GetValue<string>() == "list.create")!;
        Assert.Equal("list/audited", created["target"]!.GetValue<string>());
        Assert.Equal(adminId, created["actor"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", created["remoteAddress"]!.GetValue<string>());
        var keyCreated = Assert.Single(audit, e => e!["action"]!.GetValue<string>() == "key.create" && e["actor"]!.GetValue<string>() == adminId)!;
        Assert.Equal("127.0.0.1", keyCreated["remoteAddress"]!.GetValue<string>());
    }
}
