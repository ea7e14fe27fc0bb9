using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Server.Http;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Issue 14, findings 4, 5 and 10: every bad body is a 4xx problem in the API's own words (malformed multipart, invalid
/// UTF-8 and lone surrogates, wrong JSON shapes), echoed values are cut short, no server path reaches a client, and text
/// parts count against the report's size budget.
/// </summary>
public sealed class HostileInputTests
{
    private const string Boundary = "needle-boundary";

    /// <summary>The six multipart routes, with the role that may call them.</summary>
    private static readonly (string Path, ApiRole Role)[] MultipartRoutes =
    [
        ("/api/v1/reports", ApiRole.Submitter),
        ("/api/v1/lookup", ApiRole.Submitter),
        ("/api/v1/lists/uploads/entries", ApiRole.Admin),
        ("/h/hash", ApiRole.Submitter),
        ("/m/lookup", ApiRole.Submitter),
        ("/c/bank/uploads/content", ApiRole.Admin),
    ];

    /// <summary>An empty body, a part without the closing boundary, a body cut inside a part.</summary>
    private static readonly (string Name, string Body)[] MalformedBodies =
    [
        ("empty", ""),
        ("no closing boundary", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\nabcdef\r\n"),
        ("cut mid-part", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u00ff\u00d8\u00ff\u00e0abc"),
        ("cut inside headers", $"--{Boundary}\r\nContent-Disposition: form-da"),
    ];

    [Fact]
    public async Task Malformed_multipart_is_a_400_problem_on_every_multipart_route()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "uploads" })).StatusCode);
        var clients = new Dictionary<ApiRole, HttpClient>
        {
            [ApiRole.Admin] = admin,
            [ApiRole.Submitter] = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key),
        };

        var failures = new List<string>();
        foreach (var (path, role) in MultipartRoutes)
        {
            foreach (var (name, body) in MalformedBodies)
            {
                using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(body));
                content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
                using var response = await clients[role].PostAsync(path, content);
                var text = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json" ||
                    !text.Contains("multipart", StringComparison.Ordinal))
                {
                    failures.Add($"{path} ({name}): {(int)response.StatusCode} {text}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Lone_surrogates_and_invalid_utf8_in_json_are_400_problems()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "bank" })).StatusCode);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        var cases = new (HttpClient Client, string Path, byte[] Body)[]
        {
            (reviewer, $"/api/v1/files/{Guid.NewGuid()}/decision", Encoding.ASCII.GetBytes("{\"category\":\"\\ud800\"}")),
            (admin, "/c/bank/bank/signal", Encoding.ASCII.GetBytes("{\"md5\":\"\\ud800\"}")),
            (admin, "/c/bank/bank/signal", [.. "{\"md5\":\""u8, 0xff, 0xfe, .. "\"}"u8]),
            (admin, "/c/bank/bank/signal", [0xff, 0xfe]),
            (submitter, "/api/v1/reports", Encoding.ASCII.GetBytes("{\"externalId\":\"\\udc00x\"}")),
            (submitter, "/api/v1/reports", [.. "{\"externalId\":\""u8, 0xc3, 0x28, .. "\"}"u8]),
            (admin, "/api/v1/lists", Encoding.ASCII.GetBytes("{\"\\ud800\":1}")),
        };
        foreach (var (client, path, body) in cases)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(path, content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} {Convert.ToHexString(body)}: {(int)response.StatusCode} {text}");
            var detail = JsonNode.Parse(text)!["detail"]!.GetValue<string>();
            Assert.True(detail.Contains("UTF-8", StringComparison.Ordinal) || detail.Contains("invalid escape", StringComparison.Ordinal), detail);
        }

        // The multipart route's text part too: a 'report' field that is not UTF-8.
        var form = new MultipartFormDataContent(Boundary) { { new ByteArrayContent([.. "{\"externalId\":\""u8, 0xff, .. "\"}"u8]), "report" } };
        var multipart = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.BadRequest, multipart.StatusCode);
        Assert.Contains("UTF-8", await multipart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_json_shape_names_the_field_in_the_apis_words_without_type_names()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var admin = server.Client(server.AdminKey);
        var cases = new (HttpClient Client, string Path, string Body, string Field, string Shape)[]
        {
            (submitter, "/api/v1/reports", "{\"files\":5}", "files", "a list (JSON array)"),
            (submitter, "/api/v1/reports", "{\"escalate\":\"maybe\"}", "escalate", "true or false"),
            (submitter, "/api/v1/reports", "{\"files\":[{\"hashes\":[1]}]}", "files[0].hashes", "an object"),
            (submitter, "/api/v1/reports", "[1,2]", "body", "an object"),
            (admin, "/api/v1/lists", "{\"name\":\"x\",\"pdqThreshold\":\"far\"}", "pdqThreshold", "a number"),
            (admin, "/api/v1/lists", "{\"name\":\"x\",\"kind\":\"unknown\"}", "kind", "one of"),
        };
        foreach (var (client, path, body, field, shape) in cases)
        {
            using var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {text}");
            foreach (var internals in new[] { "System.", "Needle.", "`1", "IReadOnlyList", "Nullable", "Int32", "Boolean" })
            {
                Assert.DoesNotContain(internals, text, StringComparison.Ordinal);
            }

            var error = Assert.Single(JsonNode.Parse(text)!["errors"]!.AsArray())!.GetValue<string>();
            Assert.StartsWith(field + ": must be ", error, StringComparison.Ordinal);
            Assert.Contains(shape, error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_long_bad_value_is_echoed_cut_short()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        var name = new string('!', 100 * 1024);
        foreach (var path in new[] { "/api/v1/lists", "/c/banks" })
        {
            using var response = await admin.PostAsJsonAsync(path, new { name });
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True(text.Length < 1000, $"{path}: {text.Length} characters answered");
            Assert.Contains("102400 characters", text, StringComparison.Ordinal);
        }

        // A bad value in a signal, a category or a route parameter is cut as well.
        var bank = await admin.PostAsJsonAsync("/c/banks", new { name = "bank" });
        Assert.Equal(HttpStatusCode.Created, bank.StatusCode);
        var signal = await admin.PostAsJsonAsync("/c/bank/bank/signal", new Dictionary<string, string> { [new string('x', 50_000)] = "abc" });
        Assert.Equal(HttpStatusCode.BadRequest, signal.StatusCode);
        Assert.True((await signal.Content.ReadAsStringAsync()).Length < 1000);
        var missing = await admin.GetAsync("/api/v1/lists/" + new string('a', 4000) + "/entries");
        Assert.True(missing.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, missing.StatusCode.ToString());
        Assert.True((await missing.Content.ReadAsStringAsync()).Length < 1000);
    }

    [Fact]
    public async Task Text_parts_count_against_the_report_budget()
    {
        // 5 MiB per report, 1 MiB per JSON document (the test defaults and the server's).
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var field = new string('a', 1_000_000);

        // Six text fields of ~1 MB beside the report JSON: each under the field limit, together over the budget.
        var form = new MultipartFormDataContent { { new StringContent("{\"externalId\":\"text-flood\"}", Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < 6; i++)
        {
            form.Add(new StringContent(field), "note" + i);
        }

        var flood = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, flood.StatusCode);
        Assert.Contains("parts together", await flood.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The report JSON sent as a file part is held to the JSON limit, not the file limit.
        var bigReport = "{\"externalId\":\"" + new string('b', 1_500_000) + "\"}";
        var asFile = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(bigReport)), "report", "report.json" } };
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await submitter.PostAsync("/api/v1/reports", asFile)).StatusCode);

        // As a JSON body too.
        var body = await submitter.PostAsync("/api/v1/reports", new StringContent(bigReport, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, body.StatusCode);

        // Many small fields are refused by count.
        var many = new MultipartFormDataContent { { new StringContent("{}", Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < MultipartUpload.MaxFields + 1; i++)
        {
            many.Add(new StringContent("x"), "f" + i);
        }

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await submitter.PostAsync("/api/v1/reports", many)).StatusCode);

        // Nothing was stored.
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        Assert.Empty(JsonNode.Parse(await reviewer.GetStringAsync("/api/v1/reports"))!["items"]!.AsArray());
    }

    [Theory]
    [InlineData("video: ffmpeg failed (exit 1) after 0 frames: /tmp/needle-video-0123456789abcdef0123456789abcdef: Invalid data found when processing input",
        "video: ffmpeg failed (exit 1) after 0 frames: the file: Invalid data found when processing input")]
    [InlineData("poster: cannot open /var/tmp/needle-poster-ab12/frame.png", "poster: cannot open the file")]
    [InlineData(@"cannot read C:\Users\x\AppData\Local\Temp\needle-video-1", "cannot read the file")]
    [InlineData("4K/60 stream, ratio 1/2, see https://ffmpeg.org/x", "4K/60 stream, ratio 1/2, see https://ffmpeg.org/x")]
    public void Per_file_errors_shown_to_clients_carry_no_server_paths(string error, string shown) =>
        Assert.Equal(shown, ErrorText.ForClient(error));
}
