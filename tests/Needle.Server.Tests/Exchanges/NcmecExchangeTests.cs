using System.Text;
using System.Text.Json.Nodes;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// The <c>ncmec</c> kind against a fake NCMEC hash-sharing API v2 over real HTTP: HTTP Basic, entries keyed by member
/// and id (the same id of two members stays two items), classification as category, paging by next, a tombstone of an
/// entry given earlier in the same window (entries come out of time order), a malformed page that leaves the window's
/// start where it was, and the next fetch resuming at the page that failed, then starting from the window's end. Each
/// fetch asks /v2/status first: its server time ends the window, and refused credentials are an error naming the
/// exchange (no secret), with no entries asked.
/// </summary>
public sealed class NcmecExchangeTests
{
    [Fact]
    public async Task Ncmec_windows_advance_only_when_exhausted_and_tombstones_remove_by_member_and_id()
    {
        const string ServerTime = "2026-03-01T12:00:00Z";
        var fetch = 1;
        var nextAttempts = 0;
        var refuse = false;
        string? firstTo = null;
        await using var provider = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hotline:SECRET-pw")), seen.Headers["Authorization"]);
            context.Response.ContentType = "application/xml";
            if (seen.Path == "/npo/v2/status")
            {
                if (refuse)
                {
                    context.Response.StatusCode = 401;
                    return;
                }

                await context.Response.WriteAsync($"""
                    <?xml version="1.0" encoding="UTF-8"?>
                    <statusResponse xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><member id="42">Hotline A</member><serverTime>{ServerTime}</serverTime></statusResponse>
                    """);
            }
            else if (seen.Path == "/npo/v2/entries" && !seen.Query.ContainsKey("start"))
            {
                if (fetch == 1)
                {
                    Assert.Equal("1970-01-01T00:00:00Z", seen.Query["from"]);
                    firstTo = seen.Query["to"];
                    Assert.Equal(ServerTime, firstTo);
                    await context.Response.WriteAsync($"""
                        <?xml version="1.0" encoding="UTF-8"?>
                        <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
                          <images count="3" maxTimestamp="2026-01-02T00:00:00Z">
                            <image><id>i1</id><classification>A1</classification><member id="42">Hotline A</member>
                              <fingerprints><md5>{Md5A}</md5><sha1>{Sha1A}</sha1></fingerprints></image>
                            <image><id>i1</id><classification>B1</classification><member id="43">Hotline B</member>
                              <fingerprints><md5>{Md5B}</md5></fingerprints></image>
                          </images>
                          <paging><next>/v2/entries?from=1970-01-01T00:00:00Z&amp;to={firstTo}&amp;start=3&amp;size=2&amp;max=4</next></paging>
                        </queryResult>
                        """);
                }
                else
                {
                    // The third fetch starts where the first window ended.
                    Assert.Equal(firstTo, seen.Query["from"]);
                    await context.Response.WriteAsync("""<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images count="0" maxTimestamp="2026-01-03T00:00:00Z"/></queryResult>""");
                }
            }
            else if (seen.Path == "/npo/v2/entries" && seen.Query["start"] == "3")
            {
                nextAttempts++;
                if (nextAttempts == 1)
                {
                    await context.Response.WriteAsync("<queryResult><images><image><id>i9</id>");
                    return;
                }

                // The second page: member 42's i1 deleted (given earlier in the window), a video of 42.
                await context.Response.WriteAsync($"""
                    <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
                      <images count="1" maxTimestamp="2026-01-01T00:00:00Z">
                        <deletedImage><id>i1</id><member id="42">Hotline A</member></deletedImage>
                      </images>
                      <videos count="1" maxTimestamp="2026-01-02T10:00:00Z">
                        <video><id>v1</id><classification>A2</classification><member id="42">Hotline A</member><fingerprints><md5>{Md5C}</md5></fingerprints></video>
                      </videos>
                    </queryResult>
                    """);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

        await using var server = await StartServerAsync();
        await CreateListAsync(server, "ncmec");
        await CreateExchangeAsync(server, new
        {
            name = "ncmec",
            kind = "ncmec",
            list = "ncmec",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(provider.BaseAddress, "/npo").ToString() },
            credentials = new Dictionary<string, string> { ["username"] = "hotline", ["password"] = "SECRET-pw" },
        });

        // Page 1 applied, page 2 malformed: the window's start stays, its next page is kept.
        var status = await FetchAsync(server, "ncmec");
        Assert.False(status["success"]!.GetValue<bool>());
        Assert.Contains("malformed", status["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var checkpoint = JsonNode.Parse(status["checkpoint"]!.GetValue<string>())!;
        Assert.Equal(0, checkpoint["from"]!.GetValue<long>());
        Assert.Contains("start=3", checkpoint["next"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(
            [("42-i1", Sha1A, "A1"), ("43-i1", Md5B, "B1"), ("42-i1", Md5A, "A1")],
            (await EntriesAsync(server, "ncmec")).Select(static e => (e.Label!, e.Value, e.Category!)));

        // The next fetch resumes at page 2; the window is exhausted and its end becomes the start.
        fetch = 2;
        status = await FetchAsync(server, "ncmec");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal([("42-v1", Md5C, "A2"), ("43-i1", Md5B, "B1")], (await EntriesAsync(server, "ncmec")).Select(static e => (e.Label!, e.Value, e.Category!)).OrderBy(static e => e.Item1, StringComparer.Ordinal));
        checkpoint = JsonNode.Parse(status["checkpoint"]!.GetValue<string>())!;
        Assert.Null(checkpoint["next"]);
        Assert.Equal(DateTimeOffset.Parse(firstTo!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds(), checkpoint["from"]!.GetValue<long>());

        fetch = 3;
        status = await FetchAsync(server, "ncmec");
        Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        Assert.Equal(2, nextAttempts);
        Assert.Equal(3, provider.Requests.Count(static r => r.Path == "/npo/v2/status"));

        // Credentials refused: the status says so naming the exchange; no entries are asked, nothing changes.
        refuse = true;
        var entriesAsked = provider.Requests.Count(static r => r.Path == "/npo/v2/entries");
        status = await FetchAsync(server, "ncmec");
        Assert.False(status["success"]!.GetValue<bool>());
        var error = status["error"]!.GetValue<string>();
        Assert.Contains("exchange 'ncmec'", error, StringComparison.Ordinal);
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Equal(entriesAsked, provider.Requests.Count(static r => r.Path == "/npo/v2/entries"));
        Assert.Equal(2, (await EntriesAsync(server, "ncmec")).Count);
        Assert.DoesNotContain("SECRET", await EverythingReadableAsync(server, "ncmec"), StringComparison.Ordinal);
    }
}
