using System.Text.Json.Nodes;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// The <c>threatexchange</c> kind against a fake Graph API over real HTTP: threat_updates of a privacy group, paging.next,
/// should_delete and a missing descriptors as tombstones, a 500 retried, and the next fetch starting at the latest
/// last_updated seen.
/// </summary>
public sealed class ThreatExchangeTests
{
    [Fact]
    public async Task ThreatExchange_updates_page_delete_and_resume_from_last_updated()
    {
        var t = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 86_400;
        var fetch = 1;
        var failed = false;
        Uri? self = null;
        await using var provider = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal("OAuth SECRET-token", seen.Headers["Authorization"]);
            context.Response.ContentType = "application/json";
            if (seen.Path == "/v21.0/1234/threat_updates" && fetch == 1 && !seen.Query.ContainsKey("after"))
            {
                Assert.Equal("0", seen.Query["start_time"]);
                await context.Response.WriteAsync($$$"""
                    {"data": [
                      {"id": "901", "indicator": "{{{Pdq1}}}", "type": "HASH_PDQ", "last_updated": {{{t + 100}}}, "should_delete": false,
                       "descriptors": {"data": [{"id": "d1", "tags": ["nudity", "adult"], "owner": {"id": "77"}}]}},
                      {"id": "902", "indicator": "{{{Md5A}}}", "type": "HASH_MD5", "last_updated": {{{t + 300}}}, "should_delete": false,
                       "descriptors": {"data": [{"id": "d2", "tags": []}]}},
                      {"id": "903", "indicator": "{{{Pdq3}}}", "type": "HASH_PDQ", "last_updated": {{{t + 50}}}, "should_delete": false,
                       "descriptors": {"data": [{"id": "d3"}]}}
                    ],
                    "paging": {"cursors": {"after": "x"}, "next": "{{{new Uri(self!, "/v21.0/1234/threat_updates?after=x")}}}"}}
                    """);
            }
            else if (seen.Path == "/v21.0/1234/threat_updates" && seen.Query.GetValueOrDefault("after") == "x")
            {
                if (!failed)
                {
                    failed = true;
                    context.Response.StatusCode = 500;
                    return;
                }

                // Out of time order; 901 deleted, 903 without descriptors (a tombstone too).
                await context.Response.WriteAsync($$$"""
                    {"data": [
                      {"id": "901", "indicator": "x", "type": "HASH_PDQ", "last_updated": {{{t + 200}}}, "should_delete": true},
                      {"id": "903", "indicator": "y", "type": "HASH_PDQ", "last_updated": {{{t + 150}}}}
                    ]}
                    """);
            }
            else if (seen.Path == "/v21.0/1234/threat_updates" && fetch == 2)
            {
                Assert.Equal((t + 300).ToString(System.Globalization.CultureInfo.InvariantCulture), seen.Query["start_time"]);
                await context.Response.WriteAsync("""{"data": []}""");
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
        self = provider.BaseAddress;

        await using var server = await StartServerAsync();
        await CreateListAsync(server, "te");
        await CreateExchangeAsync(server, new
        {
            name = "te",
            kind = "threatexchange",
            list = "te",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(provider.BaseAddress, "/v21.0").ToString(), ["privacyGroup"] = "1234" },
            credentials = new Dictionary<string, string> { ["accessToken"] = "SECRET-token" },
        });

        var status = await FetchAsync(server, "te");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal([("md5", Md5A, "902")], (await EntriesAsync(server, "te")).Select(static e => (e.Signal, e.Value, e.Label!)));
        Assert.Equal(t + 300, JsonNode.Parse(status["checkpoint"]!.GetValue<string>())!["since"]!.GetValue<long>());
        Assert.True(failed);

        fetch = 2;
        status = await FetchAsync(server, "te");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.DoesNotContain("SECRET", await EverythingReadableAsync(server, "te"), StringComparison.Ordinal);
    }
}
