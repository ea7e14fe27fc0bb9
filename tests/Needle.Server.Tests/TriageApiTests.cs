using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Images;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>Triage over HTTP with the real workers: scores and the queue, claims, related reports, decisions, false positives, statistics.</summary>
public sealed class TriageApiTests
{
    private static async Task<Guid> SubmitAsync(HttpClient submitter, object report, params byte[][] images)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < images.Length; i++)
        {
            var part = new ByteArrayContent(images[i]);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, $"f{i}", $"image-{i}.jpg");
        }

        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    /// <summary>Polls the report until it is triaged and <paramref name="done"/> holds.</summary>
    private static async Task<JsonNode> PollAsync(HttpClient reviewer, Guid id, Func<JsonNode, bool>? done = null)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (true)
        {
            var response = await reviewer.GetAsync($"/api/v1/reports/{id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await RunningServer.JsonAsync(response);
            if (body["score"] is not null && (done is null || done(body)))
            {
                return body;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged as expected within 60 s: " + body.ToJsonString());
            await Task.Delay(100);
        }
    }

    private static bool HasReason(JsonNode report, string code) =>
        report["score"]!["reasons"]!.AsArray().Any(r => r!["code"]!.GetValue<string>() == code);

    private static async Task<List<Guid>> QueueAsync(HttpClient reviewer, string query = "")
    {
        var response = await reviewer.GetAsync("/api/v1/queue" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await RunningServer.JsonAsync(response))["items"]!.AsArray().Select(i => Guid.Parse(i!["id"]!.GetValue<string>()))];
    }

    [Fact]
    public async Task The_queue_ranks_filters_and_claims_reports_and_shows_their_links()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var (firstId, firstKey) = await server.CreateKeyAsync(ApiRole.Reviewer, "analyst-1");
        var reviewer = server.Client(firstKey);
        var other = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer, "analyst-2")).Key);

        var known = TestImages.Generated(200);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "provider" })).StatusCode);
        var upload = new MultipartFormDataContent { { new ByteArrayContent(known), "file", "known.png" }, { new StringContent("1"), "category" } };
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/api/v1/lists/provider/entries", upload)).StatusCode);

        var unknownReport = await SubmitAsync(submitter, new
        {
            reporter = new { organisation = "Example Platform" },
            reportedPerson = new { emails = new[] { "Shared.Person@Example.org" } },
        }, TestImages.Generated(201));
        await PollAsync(reviewer, unknownReport);
        var knownReport = await SubmitAsync(submitter, new { reportedPerson = new { emails = new[] { " shared.person@example.org" } } }, known);
        var escalated = await SubmitAsync(submitter, new { escalate = true, escalationReason = "the child may be in danger" }, known);
        await PollAsync(reviewer, knownReport);
        await PollAsync(reviewer, escalated);

        // The earlier report is scored again once the later one links to it.
        var rescored = await PollAsync(reviewer, unknownReport, r => HasReason(r, "linked-reports"));
        Assert.Equal("awaiting-review", rescored["reviewState"]!.GetValue<string>());
        Assert.True(HasReason(rescored, "unknown-media"));

        Assert.Equal([escalated, unknownReport, knownReport], await QueueAsync(reviewer));
        var page = await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/queue?limit=1"));
        var top = page["items"]![0]!;
        Assert.Equal("escalated", top["reasons"]![0]!["code"]!.GetValue<string>());
        Assert.True(top["score"]!.GetValue<double>() >= 2000);
        Assert.Equal([unknownReport], await QueueAsync(reviewer, $"?limit=1&after={page["next"]!.GetValue<string>()}"));

        // The whole queue in another order, paged: oldest first, or most files first (then oldest); a cursor keeps to its order.
        List<Guid> byAge = [];
        string? next = null;
        do
        {
            var agePage = await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/queue?sort=age&limit=1" + (next is null ? "" : "&after=" + next)));
            byAge.AddRange(agePage["items"]!.AsArray().Select(i => Guid.Parse(i!["id"]!.GetValue<string>())));
            next = agePage["next"]?.GetValue<string>();
            if (next is not null)
            {
                Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/api/v1/queue?sort=score&after=" + next)).StatusCode);
            }
        }
        while (next is not null);
        Assert.Equal([unknownReport, knownReport, escalated], byAge);
        Assert.Equal([unknownReport, knownReport, escalated], await QueueAsync(reviewer, "?sort=files"));
        Assert.Equal([escalated, unknownReport, knownReport], await QueueAsync(reviewer, "?sort=SCORE"));
        var badSort = await reviewer.GetAsync("/api/v1/queue?sort=newest");
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);
        Assert.Contains("sort must be score, age or files", await badSort.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Filters.
        Assert.Equal([unknownReport], await QueueAsync(reviewer, "?reporter=example%20platform"));
        Assert.Equal([escalated, knownReport], await QueueAsync(reviewer, "?list=provider"));
        Assert.Equal([escalated, unknownReport, knownReport], await QueueAsync(reviewer, "?jurisdiction=international"));
        Assert.Empty(await QueueAsync(reviewer, "?state=reviewed"));
        var badQuery = await reviewer.GetAsync("/api/v1/queue?state=bogus&country=FRA&limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, badQuery.StatusCode);
        var badText = await badQuery.Content.ReadAsStringAsync();
        Assert.Contains("state must be", badText, StringComparison.Ordinal);
        Assert.Contains("country must be", badText, StringComparison.Ordinal);
        Assert.Contains("limit must be", badText, StringComparison.Ordinal);

        // Claims: one analyst holds a report; the other is refused and no longer sees it when asking for free reports.
        var claim = await reviewer.PostAsync($"/api/v1/reports/{unknownReport}/claim", null);
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        Assert.True((await RunningServer.JsonAsync(claim))["granted"]!.GetValue<bool>());
        var refused = await other.PostAsync($"/api/v1/reports/{unknownReport}/claim", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var holder = await RunningServer.JsonAsync(refused);
        Assert.Equal((firstId.ToString("N"), false), (holder["claimedBy"]!.GetValue<string>(), holder["granted"]!.GetValue<bool>()));
        Assert.DoesNotContain(unknownReport, await QueueAsync(other, "?excludeClaimed=true"));
        Assert.Contains(unknownReport, await QueueAsync(reviewer, "?mine=true"));
        var claimed = (await RunningServer.JsonAsync(await other.GetAsync("/api/v1/queue"))).AsObject()["items"]!.AsArray()
            .Single(i => i!["id"]!.GetValue<string>() == unknownReport.ToString())!;
        Assert.Equal(firstId.ToString("N"), claimed["claim"]!["claimedBy"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await other.DeleteAsync($"/api/v1/reports/{unknownReport}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/reports/{unknownReport}/claim")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync($"/api/v1/reports/{unknownReport}/claim", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.PostAsync($"/api/v1/reports/{Guid.NewGuid()}/claim", null)).StatusCode);

        // Related reports: the shared email, and the same known image in the escalated report.
        // Triaged at the same time by two workers, the two reports may link a moment later (the second look of triage).
        JsonNode related;
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(30);
        do
        {
            related = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{knownReport}/related"));
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "no sha256 link: " + related.ToJsonString());
            await Task.Delay(50);
        }
        while (!related["links"]!.AsArray().Any(l => l!["value"]!.GetValue<string>().StartsWith("sha256:", StringComparison.Ordinal)));

        var links = related["links"]!.AsArray();
        var email = Assert.Single(links, l => l!["kind"]!.GetValue<string>() == "email")!;
        Assert.Equal((unknownReport.ToString(), "shared.person@example.org"), (email["otherReportId"]!.GetValue<string>(), email["value"]!.GetValue<string>()));
        var media = Assert.Single(links, l => l!["kind"]!.GetValue<string>() == "same-media" && l["value"]!.GetValue<string>().StartsWith("sha256:", StringComparison.Ordinal))!;
        Assert.Equal(escalated.ToString(), media["otherReportId"]!.GetValue<string>());
        Assert.NotNull(media["fileId"]);
        Assert.Equal(new[] { escalated, knownReport }.Order(), related["bundle"]!.AsArray().Select(b => Guid.Parse(b!.GetValue<string>())).Order());
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/v1/reports/{Guid.NewGuid()}/related")).StatusCode);

        var audit = await RunningServer.JsonAsync(await server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key).GetAsync("/api/v1/audit?limit=1000"));
        var actions = audit["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Contains("report.claim", actions);
        Assert.Contains("report.claim.force-release", actions);
    }

    [Fact]
    public async Task Decisions_resolve_copies_feed_the_organisations_list_and_false_positives_stop_matches()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var image = TestImages.Generated(300, 640, 480);
        var first = await PollAsync(reviewer, await SubmitAsync(submitter, new { }, image));
        Assert.Equal("awaiting-review", first["reviewState"]!.GetValue<string>());
        var fileId = first["files"]![0]!["id"]!.GetValue<string>();

        // Malformed decisions get clear problems.
        async Task<(HttpStatusCode, string)> DecideAsync(string file, object body)
        {
            var response = await reviewer.PostAsJsonAsync($"/api/v1/files/{file}/decision", body);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, text) = await DecideAsync(fileId, new { note = "no category" });
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, text.Contains("category is required", StringComparison.Ordinal)));
        (status, text) = await DecideAsync(fileId, new { category = "dreadful" });
        Assert.Equal((HttpStatusCode.BadRequest, true), (status, text.Contains("Unknown category 'dreadful'", StringComparison.Ordinal)));
        Assert.Contains("child-abuse-material", text, StringComparison.Ordinal);
        (status, _) = await DecideAsync(fileId, new { category = 7 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _) = await DecideAsync(Guid.NewGuid().ToString(), new { category = 0 });
        Assert.Equal(HttpStatusCode.NotFound, status);
        var notJson = await reviewer.PostAsync($"/api/v1/files/{fileId}/decision", new StringContent("{category:", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);

        // Confirmed new material goes to the organisation's list at once.
        (status, text) = await DecideAsync(fileId, new { category = "child-abuse-material", note = "new series" });
        Assert.Equal(HttpStatusCode.OK, status);
        var decided = JsonNode.Parse(text)!;
        Assert.Equal(("child-abuse-material", 1, "analyst"), (decided["decision"]!["category"]!.GetValue<string>(), decided["decision"]!["categoryCode"]!.GetValue<int>(), decided["decision"]!["source"]!.GetValue<string>()));
        Assert.Equal("needle-confirmed", decided["organisationList"]!["list"]!.GetValue<string>());
        Assert.Equal(3, decided["organisationList"]!["entriesAdded"]!.AsArray().Count);

        var reviewed = await PollAsync(reviewer, Guid.Parse(first["id"]!.GetValue<string>()), r => r["reviewState"]!.GetValue<string>() == "reviewed");
        Assert.Equal("child-abuse-material", reviewed["files"]![0]!["decision"]!["category"]!.GetValue<string>());

        // A resized copy in a new report matches the organisation's list; an exact copy is resolved without an analyst.
        var resized = await PollAsync(reviewer, await SubmitAsync(submitter, new { }, TestImages.Resized(image, 320, 240, quality: 70)));
        Assert.Contains(resized["files"]![0]!["matches"]!.AsArray(), m => m!["list"]!.GetValue<string>() == "needle-confirmed" && m["signalType"]!.GetValue<string>() == "pdq");
        var copy = await PollAsync(reviewer, await SubmitAsync(submitter, new { }, image), r => r["files"]![0]!["decision"] is not null);
        var auto = copy["files"]![0]!["decision"]!;
        Assert.Equal(("same-hash", fileId, "sha256"), (auto["source"]!.GetValue<string>(), auto["basedOnFileId"]!.GetValue<string>(), auto["basedOnReason"]!.GetValue<string>()));
        var copyState = await PollAsync(reviewer, Guid.Parse(copy["id"]!.GetValue<string>()), r => r["reviewState"]!.GetValue<string>() == "informational");
        Assert.True(HasReason(copyState, "informational"));

        var stats = await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/triage/stats"));
        Assert.Equal(1, stats["decidedAutomatically"]!.GetValue<long>());
        Assert.Equal(1, stats["decidedByAnalyst"]!.GetValue<long>());
        Assert.Equal(1.0 / 3, stats["autoResolvedShare"]!.GetValue<double>(), 6);

        // A revision keeps the history.
        (status, _) = await DecideAsync(fileId, new { category = 3, note = "rendered" });
        Assert.Equal(HttpStatusCode.OK, status);
        var history = (await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/files/{fileId}/decisions"))).AsArray();
        Assert.Equal(["child-abuse-material", "cgi-or-animation"], history.Select(d => d!["category"]!.GetValue<string>()));
        Assert.Equal(history[0]!["id"]!.GetValue<long>(), history[1]!["revises"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/v1/files/{Guid.NewGuid()}/decisions")).StatusCode);

        // A false positive on a provider's list stops the match and is exported for the provider.
        var shared = TestImages.Generated(301);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "provider" })).StatusCode);
        var upload = new MultipartFormDataContent { { new ByteArrayContent(shared), "file", "shared.png" } };
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync("/api/v1/lists/provider/entries", upload)).StatusCode);
        var matched = await PollAsync(reviewer, await SubmitAsync(submitter, new { }, shared));
        var matchedFile = matched["files"]![0]!;
        var matches = matchedFile["matches"]!.AsArray();
        Assert.Equal(2, matches.Count);

        var incomplete = await reviewer.PostAsJsonAsync($"/api/v1/files/{matchedFile["id"]}/false-positive", new { note = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, incomplete.StatusCode);
        var incompleteText = await incomplete.Content.ReadAsStringAsync();
        Assert.Contains("list is required", incompleteText, StringComparison.Ordinal);
        Assert.Contains("entryId is required", incompleteText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.PostAsJsonAsync($"/api/v1/files/{matchedFile["id"]}/false-positive", new { list = "nope", entryId = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.PostAsJsonAsync($"/api/v1/files/{matchedFile["id"]}/false-positive", new { list = "provider", entryId = 9999 })).StatusCode);
        foreach (var match in matches)
        {
            var marked = await reviewer.PostAsJsonAsync($"/api/v1/files/{matchedFile["id"]}/false-positive",
                new { list = "provider", entryId = match!["entryId"]!.GetValue<int>(), note = "holiday photo, not abuse" });
            Assert.Equal(HttpStatusCode.Created, marked.StatusCode);
            Assert.Equal("needle-false-positives", (await RunningServer.JsonAsync(marked))["allowList"]!.GetValue<string>());
        }

        var again = await PollAsync(reviewer, await SubmitAsync(submitter, new { }, shared));
        Assert.Equal(0, again["matchedFileCount"]!.GetValue<int>());
        Assert.All(again["files"]![0]!["matches"]!.AsArray(), m => Assert.True(m!["allowList"]!.GetValue<bool>()));

        var csv = await admin.GetAsync("/api/v1/lists/provider/feedback?format=csv");
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        var rows = (await csv.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("provider,", rows[1], StringComparison.Ordinal);
        Assert.Contains("\"holiday photo, not abuse\"", rows[1], StringComparison.Ordinal);
        var jsonl = await (await admin.GetAsync("/api/v1/lists/provider/feedback?format=jsonl")).Content.ReadAsStringAsync();
        Assert.Equal(2, jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/lists/provider/feedback?format=xml")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/no-such-list/feedback")).StatusCode);

        var audit = await RunningServer.JsonAsync(await server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key).GetAsync("/api/v1/audit?limit=1000"));
        var actions = audit["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Equal(2, actions.Count(a => a == "file.decide"));
        Assert.Equal(2, actions.Count(a => a == "match.false-positive"));
        Assert.Contains("list.feedback.export", actions);
    }
}
