using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>The flood guard through the API: a flooding entry shows in the list's quarantine with its rate, and an admin releases it.</summary>
public sealed class FloodGuardApiTests
{
    private static string Md5(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    private static async Task<JsonNode> ProcessedAsync(HttpClient submitter, HttpClient reviewer, string md5)
    {
        var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(new { files = new[] { new { originalName = "a.jpg", hashes = new { md5 } } } }), Encoding.UTF8, "application/json"), "report" },
        };
        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await RunningServer.JsonAsync(response))["id"]!.GetValue<string>();

        // Triage follows processing (and the flood guard's check) of the same worker.
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (true)
        {
            var body = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}"));
            if (body["score"] is not null)
            {
                return body["files"]![0]!;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged within 60 s: " + body.ToJsonString());
            await Task.Delay(100);
        }
    }

    private static int[] MatchedEntries(JsonNode file) => [.. file["matches"]!.AsArray().Select(m => m!["entryId"]!.GetValue<int>())];

    [Fact]
    public async Task A_flooding_entry_is_listed_in_quarantine_with_its_rate_and_an_admin_releases_it()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 1, FloodGuard = o.FloodGuard with { Scope = Needle.Application.Lists.FloodGuardScope.AllLists, MinMatches = 3 } });
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "feed" })).StatusCode);
        var entries = new[] { "bad", "good" }.Select(v => new { signalType = "md5", value = Md5(v), label = v }).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists/feed/entries", new { entries })).StatusCode);
        Assert.Equal("[]", (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/feed/quarantine"))).ToJsonString());

        Assert.Equal(new[] { 1 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("bad"))));
        Assert.Equal(new[] { 2 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("good"))));
        Assert.Equal(new[] { 1 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("bad"))));
        Assert.Equal(new[] { 1 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("bad"))));

        // Three files in the hour with no history: over the rule. "good" (one, then two files) is not.
        var quarantine = (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/feed/quarantine"))).AsArray();
        var entry = Assert.Single(quarantine)!;
        Assert.Equal((1, "bad", 3L, 0.0, 1.0), (entry["entryId"]!.GetValue<int>(), entry["label"]!.GetValue<string>(), entry["matches"]!.GetValue<long>(),
            entry["baseline"]!.GetValue<double>(), entry["windowHours"]!.GetValue<double>()));
        Assert.NotNull(entry["quarantinedAt"]);
        Assert.Empty(MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("bad"))));
        Assert.Equal(new[] { 2 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("good"))));

        // Shown disabled among the entries; released by an admin (once), it matches again.
        Assert.False((await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/feed/entries")))[0]!["enabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync("/api/v1/lists/feed/entries/1/release", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/v1/lists/feed/entries/1/release", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/nope/quarantine")).StatusCode);
        Assert.Equal("[]", (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/feed/quarantine"))).ToJsonString());
        Assert.Equal(new[] { 1 }, MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("bad"))));
    }

    [Fact]
    public async Task By_default_the_guard_watches_lists_an_exchange_feeds_and_leaves_local_lists_alone()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 1, FloodGuard = o.FloodGuard with { MinMatches = 3 } });
        Assert.Equal(Needle.Application.Lists.FloodGuardScope.ExchangeLists, server.Options.FloodGuard.Scope);
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        foreach (var (list, value) in new[] { ("local", "curated"), ("shared", "incoming") })
        {
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = list })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/api/v1/lists/{list}/entries", new { entries = new[] { new { signalType = "md5", value = Md5(value) } } })).StatusCode);
        }

        // "shared" is fed by an exchange (disabled: nothing is fetched, the list is still one an exchange feeds).
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/exchanges", new
        {
            name = "te",
            kind = "threatexchange",
            list = "shared",
            enabled = false,
            settings = new Dictionary<string, string> { ["privacyGroup"] = "1" },
            credentials = new Dictionary<string, string> { ["accessToken"] = "token-1" },
        })).StatusCode);

        // Four files each in the hour, no history: over the rule on both lists, but only the exchange's entry goes.
        for (var i = 0; i < 4; i++)
        {
            Assert.Single(MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("curated"))));
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Single(MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("incoming"))));
        }

        Assert.Empty(MatchedEntries(await ProcessedAsync(submitter, reviewer, Md5("incoming"))));
        Assert.Equal("[]", (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/local/quarantine"))).ToJsonString());
        Assert.Equal(3L, Assert.Single((await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/shared/quarantine"))).AsArray())!["matches"]!.GetValue<long>());
    }
}
