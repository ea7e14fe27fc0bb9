using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>HMA's exchange routes, with HMA's request and response shapes, over Needle's exchanges; a plain bank has no exchange (404).</summary>
public sealed class HmaExchangeRouteTests
{
    [Fact]
    public async Task Hma_exchange_routes_create_show_credential_update_status_and_delete()
    {
        await using var server = await StartServerAsync();
        var admin = server.Client(server.AdminKey);
        var apis = JsonNode.Parse(await admin.GetStringAsync("/c/exchanges/apis"))!.AsArray().Select(static a => a!.GetValue<string>()).ToArray();
        Assert.Contains("fb_threatexchange", apis);
        Assert.Contains("ncmec", apis);
        Assert.Contains("stop_ncii", apis);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/c/exchanges/api/nope")).StatusCode);
        var schema = JsonNode.Parse(await admin.GetStringAsync("/c/exchanges/api/ncmec/schema"))!;
        Assert.NotNull(schema["credentials_schema"]!["fields"]!["user"]);

        var created = await admin.PostAsJsonAsync("/c/exchanges", new { bank = "TE_SHARED", api = "fb_threatexchange", api_json = new { privacy_group = 1234 } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Created successfully", JsonNode.Parse(await created.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/c/exchanges", new { bank = "TE_SHARED", api = "fb_threatexchange", api_json = new { privacy_group = 1 } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsJsonAsync("/c/exchanges", new { bank = "X", api = "nope" })).StatusCode);
        Assert.Equal(["TE_SHARED"], JsonNode.Parse(await admin.GetStringAsync("/c/exchanges"))!.AsArray().Select(static a => a!.GetValue<string>()));

        // Its bank exists; the config reads back in HMA's shape.
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/c/bank/TE_SHARED")).StatusCode);
        var config = JsonNode.Parse(await admin.GetStringAsync("/c/exchange/TE_SHARED"))!;
        Assert.Equal(("TE_SHARED", "fb_threatexchange", true, "1234"), (config["name"]!.GetValue<string>(), config["api"]!.GetValue<string>(), config["enabled"]!.GetValue<bool>(), config["privacy_group"]!.GetValue<string>()));

        // Credentials per API, as in HMA: set once, never shown.
        var api = JsonNode.Parse(await admin.GetStringAsync("/c/exchanges/api/fb_threatexchange"))!;
        Assert.Equal((true, false), (api["supports_authentification"]!.GetValue<bool>(), api["has_set_authentification"]!.GetValue<bool>()));
        var set = await admin.PostAsJsonAsync("/c/exchanges/api/fb_threatexchange", new { credential_json = new { api_token = "SECRET-hma-token" } });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.True(JsonNode.Parse(await set.Content.ReadAsStringAsync())!["has_set_authentification"]!.GetValue<bool>());

        var put = await admin.PutAsJsonAsync("/c/exchange/TE_SHARED", new { enabled = false });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.False(JsonNode.Parse(await put.Content.ReadAsStringAsync())!["enabled"]!.GetValue<bool>());
        var status = JsonNode.Parse(await admin.GetStringAsync("/c/exchange/TE_SHARED/status"))!;
        Assert.Equal(0, status["checkpoint_ts"]!.GetValue<long>());
        Assert.Null(status["last_fetch_succeeded"]);
        Assert.DoesNotContain("SECRET", await EverythingReadableAsync(server, "TE_SHARED") + status.ToJsonString() + config.ToJsonString(), StringComparison.Ordinal);

        // A plain bank has no exchange.
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "PLAIN", kind = "known" })).StatusCode);
        foreach (var path in new[] { "/c/exchange/PLAIN", "/c/exchange/PLAIN/status", "/c/exchange/NOBANK" })
        {
            var response = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Contains("no exchange", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var deleted = await admin.DeleteAsync("/c/exchange/TE_SHARED");
        Assert.Equal("Exchange deleted", JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/c/exchange/TE_SHARED")).StatusCode);
    }
}
