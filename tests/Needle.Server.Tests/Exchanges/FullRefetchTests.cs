using System.Net;
using Needle.Core.Storage;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;
using static Needle.Server.Tests.Exchanges.StopNciiExchangeTests;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// A full re-fetch (asked by an admin) is a mark and sweep: the entries of the exchange a complete fetch from the start
/// did not deliver again are removed at its end; one that failed half-way removes nothing and, resumed from its
/// checkpoint by the next fetch, sweeps once it completes. Against a fake StopNCII that silently drops a hash (no
/// tombstone), over real HTTP.
/// </summary>
public sealed class FullRefetchTests
{
    [Fact]
    public async Task A_full_refetch_removes_what_the_provider_dropped_only_once_it_completes()
    {
        var recent = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 60;
        var stage = "first";
        await using var provider = await FakeProvider.StartAsync(async (context, seen) =>
        {
            var token = seen.Query.GetValueOrDefault("nextPageToken");
            var start = seen.Query["startTimestamp"];
            string Record(string pdq) => $$"""{"signalType":"ImagePDQ","hashValue":"{{pdq}}","hashStatus":"Active"}""";
            string Page(string next, bool more, params string[] pdqs) =>
                $$"""{"count":{{pdqs.Length}},"nextPageToken":"{{next}}","nextSetTimestamp":{{recent}},"hasMoreRecords":{{(more ? "true" : "false")}},"hashRecords":[{{string.Join(',', pdqs.Select(Record))}}]}""";
            if (stage == "first")
            {
                await Json(context, token is null ? Page("p2", true, Pdq1, Pdq2) : Page("", false, Pdq3));
            }
            else if (token is null)
            {
                // From the start: StopNCII no longer has Pdq2, and says nothing about it.
                Assert.Equal("0", start);
                await Json(context, Page("full-2", true, Pdq1));
            }
            else if (stage == "full-fails")
            {
                context.Response.StatusCode = (int)HttpStatusCode.InternalServerError;
            }
            else
            {
                Assert.Equal("full-2", token);
                await Json(context, Page("", false, Pdq3));
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
            credentials = new Dictionary<string, string> { ["subscriptionKey"] = "sub-key", ["fetchFunctionKey"] = "fn-key" },
        });

        var status = await FetchAsync(server, "stopncii");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        var before = (await EntriesAsync(server, "ncii")).ToDictionary(static e => e.Value, static e => e);

        // The full re-fetch fails on its second page: nothing is removed, the full fetch stays under way.
        stage = "full-fails";
        status = await FetchAsync(server, "stopncii", full: true);
        Assert.False(status["success"]!.GetValue<bool>());
        Assert.True(status["fullFetch"]!.GetValue<bool>());
        Assert.Equal(0, status["removed"]!.GetValue<long>());
        Assert.Equal(new[] { Pdq1, Pdq2, Pdq3 }.Order(StringComparer.Ordinal), (await EntriesAsync(server, "ncii")).Select(static e => e.Value).Order(StringComparer.Ordinal));

        // The next (ordinary) fetch resumes it from its checkpoint; complete, it sweeps the hash StopNCII dropped.
        stage = "full-completes";
        status = await FetchAsync(server, "stopncii");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.False(status["fullFetch"]!.GetValue<bool>());
        Assert.Equal((0L, 1L), (status["added"]!.GetValue<long>(), status["removed"]!.GetValue<long>()));
        Assert.Contains("removed 1 entries", status["notice"]!.GetValue<string>(), StringComparison.Ordinal);
        var after = await EntriesAsync(server, "ncii");
        Assert.Equal(new[] { Pdq1, Pdq3 }.Order(StringComparer.Ordinal), after.Select(static e => e.Value).Order(StringComparer.Ordinal));
        Assert.All(after, e => Assert.Equal(before[e.Value], e));
        Assert.Equal(2, status["entries"]!.GetValue<long>());

        // The sweep is audited as the exchange's sync, the ask as the admin's.
        var audit = await server.App.Services.GetRequiredService<INeedleStore>().Audit.ReadAsync(0, 1000);
        Assert.Single(audit, static a => a.Action == "exchange.fetch" && a.Details is { } d && d.Contains("full", StringComparison.Ordinal));
        Assert.Single(audit, static a => a.Action == "list.entries.sync" && a.Details is { } d && d.Contains("fullFetchSweep", StringComparison.Ordinal) && d.Contains("\"removed\":1", StringComparison.Ordinal));
    }
}
