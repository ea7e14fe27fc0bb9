using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// The <c>stopncii</c> kind against a fake StopNCII over real HTTP: FetchHashes pages with nextPageToken, the last
/// record of a hash winning, Withdrawn and Deleted removing, a 500 and a 429 with Retry-After retried, a malformed
/// page left unapplied (an error in the status, the checkpoint kept), a stale checkpoint reported and fetched again
/// from the start. The keys go in both headers and never come back out.
/// </summary>
public sealed class StopNciiExchangeTests
{
    private const string SubscriptionKey = "sub-key-SECRET-4d1f";
    private const string FunctionKey = "fn-key-SECRET-9a7e";

    [Fact]
    public async Task StopNcii_pages_tombstones_retries_malformed_page_and_stale_checkpoint()
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var recent = now - 3600;
        var stale = now - (40 * 86400);
        var fetch = 0;
        var page2Attempts = 0;
        await using var provider = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal("/v1/FetchHashes", seen.Path);
            var token = seen.Query.GetValueOrDefault("nextPageToken");
            var start = seen.Query["startTimestamp"];
            if (fetch == 1 && token is null)
            {
                // First fetch, page 1: the FetchHashes object, pretty-printed, as StopNCII answers.
                await Json(context, $$"""
                    {
                      "count": 2,
                      "nextPageToken": "page-2",
                      "nextSetTimestamp": {{recent}},
                      "hasMoreRecords": true,
                      "hashRecords": [
                        { "lastModtimestamp": {{recent - 10}}, "signalType": "ImagePDQ", "hashValue": "{{Pdq1}}", "hashStatus": "Active", "caseNumbers": { "C-1": "Active" } },
                        { "lastModtimestamp": {{recent - 9}}, "signalType": "VideoMD5", "hashValue": "{{Md5A}}", "hashStatus": "Received", "caseNumbers": { "C-2": "Received" } }
                      ]
                    }
                    """);
            }
            else if (fetch == 1 && token == "page-2")
            {
                page2Attempts++;
                if (page2Attempts == 1)
                {
                    context.Response.StatusCode = 500;
                }
                else if (page2Attempts == 2)
                {
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = "1";
                }
                else
                {
                    // Page 2: the first hash withdrawn; a new one, then a later record of it (the last wins); the
                    // checkpoint it gives is 40 days old (stale by the next fetch).
                    await Json(context, $$"""{"count":3,"nextPageToken":"","nextSetTimestamp":{{stale}},"hasMoreRecords":false,"hashRecords":[{"signalType":"ImagePDQ","hashValue":"{{Pdq1}}","hashStatus":"Withdrawn"},{"signalType":"ImagePDQ","hashValue":"{{Pdq2}}","hashStatus":"Active"},{"signalType":"ImagePDQ","hashValue":"{{Pdq2}}","hashStatus":"Inactive"}]}""");
                }
            }
            else if (fetch == 2)
            {
                Assert.Equal("0", start);
                await Text(context, """{"count": 1, "hasMoreRecords": false, "hashRecords": [ {"signalType": """);
            }
            else if (fetch == 3)
            {
                Assert.Equal("0", start);
                // The full fetch gives everything StopNCII has: the inactive hash again, the video now deleted.
                await Json(context, $$"""{"count":2,"nextPageToken":"","nextSetTimestamp":{{recent}},"hasMoreRecords":false,"hashRecords":[{"signalType":"ImagePDQ","hashValue":"{{Pdq2}}","hashStatus":"Inactive"},{"signalType":"VideoMD5","hashValue":"{{Md5A}}","hashStatus":"Deleted"}]}""");
            }
            else
            {
                Assert.Equal(recent.ToString(System.Globalization.CultureInfo.InvariantCulture), start);
                await Json(context, $$"""{"count":0,"nextPageToken":"","nextSetTimestamp":{{recent}},"hasMoreRecords":false,"hashRecords":[]}""");
            }
        });

        await using var server = await StartServerAsync();
        await CreateListAsync(server, "ncii");
        await CreateExchangeAsync(server, new
        {
            name = "stopncii",
            kind = "stopncii",
            list = "ncii",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(provider.BaseAddress, "/v1").ToString() },
            credentials = new Dictionary<string, string> { ["subscriptionKey"] = SubscriptionKey, ["fetchFunctionKey"] = FunctionKey },
        });

        fetch = 1;
        var status = await FetchAsync(server, "stopncii");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal([("pdq", Pdq2, false), ("md5", Md5A, true)], (await EntriesAsync(server, "ncii")).Select(static e => (e.Signal, e.Value, e.Enabled)));
        var requests = provider.Requests.ToArray();
        Assert.All(requests, static r => Assert.Equal((SubscriptionKey, FunctionKey), (r.Headers["Ocp-Apim-Subscription-Key"], r.Headers["x-functions-key"])));

        // Page 2 was asked 3 times: the 500, the 429, then the answer, which came no sooner than its Retry-After said.
        var page2 = requests.Where(static r => r.Query.GetValueOrDefault("nextPageToken") == "page-2").ToArray();
        Assert.Equal(3, page2.Length);
        Assert.True(page2[2].At - page2[1].At >= TimeSpan.FromSeconds(0.9), $"retried after {(page2[2].At - page2[1].At).TotalMilliseconds} ms");

        // The checkpoint is now 40 days old: reported, everything fetched again, and that page is malformed.
        fetch = 2;
        status = await FetchAsync(server, "stopncii");
        Assert.False(status["success"]!.GetValue<bool>());
        Assert.Contains("malformed", status["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("30 days", status["notice"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(status["checkpoint"]);
        Assert.Equal(2, (await EntriesAsync(server, "ncii")).Count);

        fetch = 3;
        status = await FetchAsync(server, "stopncii");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal((0L, 1L), (status["added"]!.GetValue<long>(), status["removed"]!.GetValue<long>()));
        Assert.Equal([Pdq2], (await EntriesAsync(server, "ncii")).Select(static e => e.Value));

        fetch = 4;
        status = await FetchAsync(server, "stopncii");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Null(status["notice"]);

        var readable = await EverythingReadableAsync(server, "stopncii");
        Assert.DoesNotContain("SECRET", readable, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", DatabaseText(server), StringComparison.Ordinal);
        Assert.Contains("fetchFunctionKey", readable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_exchange_definitions_are_refused_naming_the_field_never_a_value()
    {
        await using var server = await StartServerAsync();
        await CreateListAsync(server, "ncii");
        var admin = server.Client(server.AdminKey);
        async Task<(int Status, string Text)> Post(object body)
        {
            var response = await admin.PostAsJsonAsync("/api/v1/exchanges", body);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var missing = await Post(new { name = "x", kind = "stopncii", list = "ncii", credentials = new Dictionary<string, string> { ["subscriptionKey"] = "SECRET-1" } });
        Assert.Equal(400, missing.Status);
        Assert.Contains("fetchFunctionKey", missing.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", missing.Text, StringComparison.Ordinal);
        Assert.Equal(400, (await Post(new { name = "x", kind = "ftp", list = "ncii" })).Status);
        Assert.Equal(400, (await Post(new { name = "x", kind = "needle", list = "nope", settings = new Dictionary<string, string> { ["baseUrl"] = "http://a", ["list"] = "l" }, credentials = new Dictionary<string, string> { ["apiKey"] = "k" } })).Status);
        Assert.Equal(400, (await Post(new { name = "x", kind = "needle", list = "ncii", settings = new Dictionary<string, string> { ["baseUrl"] = "file:///etc", ["list"] = "l" }, credentials = new Dictionary<string, string> { ["apiKey"] = "k" } })).Status);
        var ok = new { name = "x", kind = "threatexchange", list = "ncii", settings = new Dictionary<string, string> { ["privacyGroup"] = "123" }, credentials = new Dictionary<string, string> { ["accessToken"] = "SECRET-2" } };
        Assert.Equal(201, (await Post(ok)).Status);
        Assert.Equal(409, (await Post(ok)).Status);

        // An update replaces the credentials whole and can change the schedule, never the kind.
        var patched = await admin.PatchAsJsonAsync("/api/v1/exchanges/x", new { intervalMinutes = 15, enabled = false, credentials = new Dictionary<string, string> { ["accessToken"] = "SECRET-3" } });
        Assert.Equal(200, (int)patched.StatusCode);
        var view = JsonNode.Parse(await patched.Content.ReadAsStringAsync())!;
        Assert.Equal((15.0, false), (view["intervalMinutes"]!.GetValue<double>(), view["enabled"]!.GetValue<bool>()));
        Assert.Equal(400, (int)(await admin.PatchAsJsonAsync("/api/v1/exchanges/x", new { kind = "ncmec" })).StatusCode);
        Assert.Equal(404, (int)(await admin.PatchAsJsonAsync("/api/v1/exchanges/y", new { enabled = true })).StatusCode);
        Assert.DoesNotContain("SECRET", await EverythingReadableAsync(server, "x"), StringComparison.Ordinal);
        Assert.Equal(204, (int)(await admin.DeleteAsync("/api/v1/exchanges/x")).StatusCode);
        Assert.Equal(404, (int)(await admin.GetAsync("/api/v1/exchanges/x")).StatusCode);

        // Only admins manage exchanges.
        var (_, reviewerKey) = await server.CreateKeyAsync(Needle.Core.Access.ApiRole.Reviewer);
        Assert.Equal(403, (int)(await server.Client(reviewerKey).GetAsync("/api/v1/exchanges")).StatusCode);
    }

    internal static async Task Json(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    internal static async Task Text(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }
}
