using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Server;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// Two real Needle servers: B follows A's confirmed list through the <c>needle</c> exchange kind (A's change feed, read
/// with an exchange key), through additions, a disable and removals; the exchange key reads nothing else; the key never
/// shows in B's answers or audit log.
/// </summary>
public sealed class NeedleExchangeTests
{
    [Fact]
    public async Task Two_Needle_servers_exchange_a_confirmed_list_through_additions_disables_and_removals()
    {
        await using var a = await StartServerAsync();
        await using var b = await StartServerAsync();
        await CreateListAsync(a, "confirmed");
        var adminA = a.Client(a.AdminKey);
        var added = await adminA.PostAsJsonAsync("/api/v1/lists/confirmed/entries", new
        {
            entries = new object[]
            {
                new { signalType = "md5", value = Md5A, label = "case-1", category = "A1" },
                new { signalType = "pdq", value = Pdq1, label = "case-1" },
                new { signalType = "sha1", value = Sha1A, label = "case-2" },
            },
        });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var ids = (await RunningServer.JsonAsync(added))["added"]!.AsArray().Select(static e => e!["id"]!.GetValue<int>()).ToArray();
        var (_, exchangeKey) = await a.CreateKeyAsync(ApiRole.Exchange, "node-b");

        // The exchange key reads the feed and nothing else.
        var follower = a.Client(exchangeKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await follower.GetAsync("/api/v1/lists")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await follower.GetAsync("/api/v1/lists/confirmed/entries")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await follower.GetAsync("/api/v1/exchanges")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await follower.GetAsync("/api/v1/lists/confirmed/changes?after=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await follower.GetAsync("/api/v1/lists/nope/changes")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await follower.GetAsync("/api/v1/lists/confirmed/changes?after=x")).StatusCode);
        var (_, submitterKey) = await a.CreateKeyAsync(ApiRole.Submitter);
        Assert.Equal(HttpStatusCode.Forbidden, (await a.Client(submitterKey).GetAsync("/api/v1/lists/confirmed/changes")).StatusCode);

        await CreateListAsync(b, "from-a");
        var created = await CreateExchangeAsync(b, new
        {
            name = "node-a",
            kind = "needle",
            list = "from-a",
            settings = new Dictionary<string, string> { ["baseUrl"] = a.BaseAddress.ToString(), ["list"] = "confirmed" },
            credentials = new Dictionary<string, string> { ["apiKey"] = exchangeKey },
            intervalMinutes = 60,
        });
        Assert.Equal(["apiKey"], created["credentials"]!.AsArray().Select(static c => c!.GetValue<string>()));

        var status = await FetchAsync(b, "node-a");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal(3, status["added"]!.GetValue<long>());
        Assert.Equal(await Projected(a, "confirmed"), await Projected(b, "from-a"));

        // Changes on A: a disable, a removal, an addition; B follows them all on its next fetch.
        Assert.Equal(HttpStatusCode.OK, (await adminA.PatchAsJsonAsync($"/api/v1/lists/confirmed/entries/{ids[1]}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await adminA.DeleteAsync($"/api/v1/lists/confirmed/entries/{ids[2]}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await adminA.PostAsJsonAsync("/api/v1/lists/confirmed/entries", new { entries = new[] { new { signalType = "md5", value = Md5B, label = "case-3" } } })).StatusCode);
        status = await FetchAsync(b, "node-a");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal(await Projected(a, "confirmed"), await Projected(b, "from-a"));
        Assert.Contains(await EntriesAsync(b, "from-a"), static e => e.Value == Pdq1 && !e.Enabled);
        Assert.DoesNotContain(await EntriesAsync(b, "from-a"), static e => e.Value == Sha1A);

        // A fetch with nothing new changes nothing.
        status = await FetchAsync(b, "node-a");
        Assert.Equal((0L, 0L), (status["added"]!.GetValue<long>(), status["removed"]!.GetValue<long>()));

        // The key B holds for A never comes back out of B.
        Assert.DoesNotContain(exchangeKey, await EverythingReadableAsync(b, "node-a"), StringComparison.Ordinal);
        Assert.DoesNotContain(exchangeKey, DatabaseText(b), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_change_feed_pages_through_a_change_larger_than_a_page()
    {
        await using var a = await StartServerAsync();
        await CreateListAsync(a, "big");
        var entries = Enumerable.Range(1, 7).Select(static n => new { signalType = "md5", value = n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await a.Client(a.AdminKey).PostAsJsonAsync("/api/v1/lists/big/entries", new { entries })).StatusCode);
        var (_, key) = await a.CreateKeyAsync(ApiRole.Exchange);
        var client = a.Client(key);
        var seen = new List<int>();
        var cursor = "0";
        var pages = 0;
        while (true)
        {
            var page = JsonNode.Parse(await client.GetStringAsync($"/api/v1/lists/big/changes?after={cursor}&limit=3"))!;
            seen.AddRange(page["changes"]!.AsArray().Select(static c => c!["id"]!.GetValue<int>()));
            cursor = page["next"]!.GetValue<string>();
            pages++;
            if (!page["more"]!.GetValue<bool>())
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(1, 7), seen);
        Assert.Equal(3, pages);
        var empty = JsonNode.Parse(await client.GetStringAsync($"/api/v1/lists/big/changes?after={cursor}"))!;
        Assert.Empty(empty["changes"]!.AsArray());
        Assert.Equal(cursor, empty["next"]!.GetValue<string>());
    }

    private static async Task<List<(string, string, bool, string?, string?)>> Projected(RunningServer server, string list) =>
        [.. (await EntriesAsync(server, list)).Select(static e => (e.Signal, e.Value, e.Enabled, e.Label, e.Category))];
}
