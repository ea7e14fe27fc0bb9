using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Images;
using Needle.Testing.Server;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// Feedback goes back, end to end through a running server to fake providers over real HTTP: a false positive on an
/// NCMEC-fed match reaches NCMEC once as a negative with the reason chosen by the exchange's setting (after a 500 the
/// call is retried), a confirmation sends NCMEC's affirmative, a file decided not pertinent sends StopNCII's NotBlocked
/// (after a 429 whose Retry-After is waited out) and ThreatExchange's NOT_HELPFUL on the indicator's descriptor, and a
/// provider's 400 is recorded as failed with its message and not tried again. The state shows in the report and file
/// views; queuing and sending are audited; no credential appears in a response, the audit log or the log.
/// </summary>
public sealed class FeedbackTests
{
    private const string NcmecPassword = "ncmec-SECRET-pw-71";
    private const string StopNciiSubscription = "sub-SECRET-key-55";
    private const string StopNciiFeedbackKey = "fb-fn-SECRET-key-19";
    private const string TeToken = "te-SECRET-token-33";
    private const string ReasonNotCsam = "6b4f1a52-7c1e-4e0c-9d55-1f0c2a8e9b01";

    private sealed record Received(string Method, string Path, string Body, int Status, DateTimeOffset At);

    [Fact]
    public async Task Feedback_reaches_each_provider_once_with_its_shape_retries_500_and_429_and_records_a_refusal()
    {
        var imageA = TestImages.Generated(901);
        var imageB = TestImages.Generated(902);
        var imageC = TestImages.Generated(903);
        var imageD = TestImages.Generated(904);
        var imageE = TestImages.Generated(905);
        var (md5A, md5B, md5C, md5D, md5E) = (Md5(imageA), Md5(imageB), Md5(imageC), Md5(imageD), Md5(imageE));
        var feedback = new ConcurrentQueue<Received>();
        var ncmecPuts = 0;
        var stopNciiPosts = 0;

        await using var ncmec = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("hotline:" + NcmecPassword)), seen.Headers["Authorization"]);
            context.Response.ContentType = "application/xml";
            if (seen.Method == "GET" && seen.Path == "/npo/v2/status")
            {
                // The fetch checks the credentials first; no serverTime, so the node's clock ends the window.
                await context.Response.WriteAsync("""
                    <?xml version="1.0" encoding="UTF-8"?>
                    <statusResponse xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><member id="42">Hotline A</member></statusResponse>
                    """);
            }
            else if (seen.Method == "GET" && seen.Path == "/npo/v2/entries")
            {
                await context.Response.WriteAsync($"""
                    <?xml version="1.0" encoding="UTF-8"?>
                    <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
                      <images count="2" maxTimestamp="2026-01-02T00:00:00Z">
                        <image><id>i1</id><classification>A1</classification><member id="42">Hotline A</member><fingerprints><md5>{md5A}</md5></fingerprints></image>
                        <image><id>i2</id><classification>A1</classification><member id="42">Hotline A</member><fingerprints><md5>{md5B}</md5></fingerprints></image>
                      </images>
                    </queryResult>
                    """);
            }
            else if (seen.Method == "GET" && seen.Path == "/npo/v2/feedback/MD5/reasons")
            {
                await context.Response.WriteAsync($"""
                    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                    <availableFeedbackReasons xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
                      <reason guid="0f9e8d7c-0000-4000-8000-000000000002" name="Duplicate entry" type="Md5"/>
                      <reason guid="{ReasonNotCsam}" name="Not CSAM" type="Md5"/>
                    </availableFeedbackReasons>
                    """);
            }
            else if (seen.Method == "PUT" && seen.Path.StartsWith("/npo/v2/entries/42/", StringComparison.Ordinal))
            {
                // The first feedback PUT on i1 (the negative) fails with a 500: it is retried, and arrives once. Counted
                // on that entry alone: the two files' feedback may be sent in either order.
                var status = seen.Path == "/npo/v2/entries/42/i1/MD5/feedback" && Interlocked.Increment(ref ncmecPuts) == 1 ? 500 : 200;
                context.Response.StatusCode = status;
                feedback.Enqueue(new Received(seen.Method, seen.Path, seen.Body, status, seen.At));
                if (status == 200)
                {
                    await context.Response.WriteAsync("""<submissionResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"/>""");
                }
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

        await using var stopNcii = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal(StopNciiSubscription, seen.Headers["Ocp-Apim-Subscription-Key"]);
            if (seen.Method == "GET" && seen.Path == "/v1/FetchHashes")
            {
                Assert.Equal("fetch-fn-SECRET-key", seen.Headers["x-functions-key"]);
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync($$"""{"count":1,"nextPageToken":"","nextSetTimestamp":{{TimeProvider.System.GetUtcNow().ToUnixTimeSeconds()}},"hasMoreRecords":false,"hashRecords":[{"signalType":"VideoMD5","hashValue":"{{md5C}}","hashStatus":"Active"}]}""");
            }
            else if (seen.Method == "POST" && seen.Path == "/v1/SubmitFeedback")
            {
                Assert.Equal(StopNciiFeedbackKey, seen.Headers["x-functions-key"]);
                var status = Interlocked.Increment(ref stopNciiPosts) == 1 ? 429 : 200;
                context.Response.StatusCode = status;
                if (status == 429)
                {
                    context.Response.Headers.RetryAfter = "1";
                }

                feedback.Enqueue(new Received(seen.Method, seen.Path, seen.Body, status, seen.At));
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

        await using var threatExchange = await FakeProvider.StartAsync(async (context, seen) =>
        {
            Assert.Equal("OAuth " + TeToken, seen.Headers["Authorization"]);
            context.Response.ContentType = "application/json";
            if (seen.Method == "GET" && seen.Path == "/te/1234/threat_updates")
            {
                await context.Response.WriteAsync($$$"""
                    {"data":[
                      {"id":"1001","indicator":"{{{md5D}}}","type":"HASH_MD5","last_updated":1767225600,"should_delete":false,"descriptors":{"data":[{"id":"2001","tags":["benign-test"]}]}},
                      {"id":"1002","indicator":"{{{md5E}}}","type":"HASH_MD5","last_updated":1767225601,"should_delete":false,"descriptors":{"data":[{"id":"2002","tags":["benign-test"]}]}}
                    ]}
                    """);
            }
            else if (seen.Method == "POST" && seen.Path is "/te/2001" or "/te/2002")
            {
                // Descriptor 2002 is refused: recorded as failed with the provider's message, never tried again.
                var status = seen.Path == "/te/2002" ? 400 : 200;
                context.Response.StatusCode = status;
                feedback.Enqueue(new Received(seen.Method, seen.Path, seen.Body, status, seen.At));
                await context.Response.WriteAsync(status == 200 ? """{"success":true}""" : """{"error":{"message":"Unsupported reaction for this descriptor","code":100}}""");
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });

        await using var server = await StartServerAsync();
        foreach (var list in new[] { "ncmec", "ncii", "te" })
        {
            await CreateListAsync(server, list);
        }

        await CreateExchangeAsync(server, new
        {
            name = "ncmec",
            kind = "ncmec",
            list = "ncmec",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(ncmec.BaseAddress, "/npo").ToString(), ["feedbackReason"] = "not csam" },
            credentials = new Dictionary<string, string> { ["username"] = "hotline", ["password"] = NcmecPassword },
        });
        await CreateExchangeAsync(server, new
        {
            name = "stopncii",
            kind = "stopncii",
            list = "ncii",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(stopNcii.BaseAddress, "/v1").ToString() },
            credentials = new Dictionary<string, string> { ["subscriptionKey"] = StopNciiSubscription, ["fetchFunctionKey"] = "fetch-fn-SECRET-key", ["feedbackFunctionKey"] = StopNciiFeedbackKey },
        });
        await CreateExchangeAsync(server, new
        {
            name = "te",
            kind = "threatexchange",
            list = "te",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(threatExchange.BaseAddress, "/te").ToString(), ["privacyGroup"] = "1234" },
            credentials = new Dictionary<string, string> { ["accessToken"] = TeToken },
        });
        foreach (var exchange in new[] { "ncmec", "stopncii", "te" })
        {
            var status = await FetchAsync(server, exchange);
            Assert.True(status["success"]!.GetValue<bool>(), status.ToJsonString());
        }

        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var (_, reviewerKey) = await server.CreateKeyAsync(ApiRole.Reviewer, "analyst");
        var reviewer = server.Client(reviewerKey);
        var report = await SubmitAsync(submitter, imageA, imageB, imageC, imageD, imageE);
        var files = (await MatchedAsync(reviewer, report, 5)).ToDictionary(static f => f["ordinal"]!.GetValue<int>());
        var (fileA, fileB, fileC, fileD, fileE) = (Id(files[0]), Id(files[1]), Id(files[2]), Id(files[3]), Id(files[4]));
        Assert.Equal(("ncmec", "42-i1"), (files[0]["matches"]![0]!["list"]!.GetValue<string>(), files[0]["matches"]![0]!["label"]!.GetValue<string>()));

        // A: a false positive on NCMEC's entry. B: confirmed. C, D, E: not pertinent.
        var entryA = files[0]["matches"]![0]!["entryId"]!.GetValue<int>();
        var marked = await reviewer.PostAsJsonAsync($"/api/v1/files/{fileA}/false-positive", new { list = "ncmec", entryId = entryA, note = "a landscape" });
        Assert.True(marked.IsSuccessStatusCode, await marked.Content.ReadAsStringAsync());
        await DecideAsync(reviewer, fileB, "child-abuse-material");
        await DecideAsync(reviewer, fileC, "non-pertinent");
        await DecideAsync(reviewer, fileD, "non-pertinent");
        await DecideAsync(reviewer, fileE, "non-pertinent");

        var states = await SettledAsync(reviewer, [fileA, fileB, fileC, fileD, fileE]);
        Assert.Equal(["sent"], states[fileA]);
        Assert.Equal(["sent"], states[fileB]);
        Assert.Equal(["sent"], states[fileC]);
        Assert.Equal(["sent"], states[fileD]);
        Assert.Equal(["failed"], states[fileE]);

        // Deciding A not pertinent now says what its false positive said: nothing more is queued.
        await DecideAsync(reviewer, fileA, "non-pertinent");
        Assert.Single(await FeedbackAsync(reviewer, fileA));

        // NCMEC: the negative on i1 with the reason named by the setting, once acknowledged (after the 500); the affirmative on i2.
        var received = feedback.ToArray();
        var ncmecReceived = received.Where(static r => r.Path.StartsWith("/npo/", StringComparison.Ordinal)).ToArray();
        var negatives = ncmecReceived.Where(static r => r.Path == "/npo/v2/entries/42/i1/MD5/feedback").ToArray();
        Assert.Equal([500, 200], negatives.Select(static r => r.Status));
        Assert.All(negatives, static r => Assert.Equal("PUT", r.Method));
        var negative = System.Xml.Linq.XDocument.Parse(negatives[1].Body).Root!;
        Assert.Equal("feedbackSubmission", negative.Name.LocalName);
        Assert.Equal("https://hashsharing.ncmec.org/hashsharing/v2", negative.Name.NamespaceName);
        Assert.Equal(ReasonNotCsam, negative.Descendants().Single(static e => e.Name.LocalName == "guid").Value);
        Assert.Equal("negative", negative.Elements().Single().Name.LocalName);
        var affirmative = Assert.Single(ncmecReceived, static r => r.Path == "/npo/v2/entries/42/i2/MD5/feedback");
        Assert.Equal(("affirmative", 200), (System.Xml.Linq.XDocument.Parse(affirmative.Body).Root!.Elements().Single().Name.LocalName, affirmative.Status));

        // StopNCII: NotBlocked on the hash, once acknowledged, no sooner than the 429's Retry-After.
        var submitted = received.Where(static r => r.Path == "/v1/SubmitFeedback").ToArray();
        Assert.Equal([429, 200], submitted.Select(static r => r.Status));
        Assert.True(submitted[1].At - submitted[0].At >= TimeSpan.FromSeconds(0.9), $"retried after {(submitted[1].At - submitted[0].At).TotalMilliseconds} ms");
        var hashFeedback = JsonNode.Parse(submitted[1].Body)!["hashFeedbacks"]!.AsArray().Single()!;
        Assert.Equal(("NotBlocked", md5C, "VideoMD5"), (hashFeedback["feedbackValue"]!.GetValue<string>(), hashFeedback["hashValue"]!.GetValue<string>(), hashFeedback["signalType"]!.GetValue<string>()));

        // ThreatExchange: NOT_HELPFUL on the descriptor; the refused one was asked once and failed with the provider's message.
        var helpful = Assert.Single(received, static r => r.Path == "/te/2001");
        Assert.Equal("reactions=NOT_HELPFUL", helpful.Body);
        Assert.Single(received, static r => r.Path == "/te/2002");
        var refused = (await FeedbackAsync(reviewer, fileE)).Single()!;
        Assert.Contains("400", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("Unsupported reaction for this descriptor", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);

        // The report view shows each match's feedback; the admin sees an exchange's.
        var view = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{report}"));
        var shown = view["files"]!.AsArray().Single(f => Id(f!) == fileB)!["matches"]![0]!["feedback"]![0]!;
        Assert.Equal(("ncmec", "affirmative", "sent"), (shown["exchange"]!.GetValue<string>(), shown["verdict"]!.GetValue<string>(), shown["state"]!.GetValue<string>()));
        var admin = server.Client(server.AdminKey);
        var forNcmec = JsonNode.Parse(await admin.GetStringAsync("/api/v1/exchanges/ncmec/feedback"))!.AsArray();
        Assert.Equal(["affirmative", "negative"], forNcmec.Select(static f => f!["verdict"]!.GetValue<string>()));

        // The report page shows each match's feedback and its state; the refusal with the provider's reason.
        using var web = await ProtectedImageTests.SignedInAsync(server, reviewerKey);
        var page = WebUtility.HtmlDecode(await web.GetStringAsync($"/reports/{report}"));
        Assert.Contains("Feedback to ncmec (ncmec): affirmative — sent", StripTags(page), StringComparison.Ordinal);
        Assert.Contains("Feedback to stopncii (stopncii): negative — sent", StripTags(page), StringComparison.Ordinal);
        Assert.Contains("Feedback to te (threatexchange): negative — failed", StripTags(page), StringComparison.Ordinal);
        Assert.Contains("Unsupported reaction for this descriptor", page, StringComparison.Ordinal);
        Assert.Equal(4, CountOf(page, "data-feedback=\"sent\""));
        Assert.Equal(1, CountOf(page, "data-feedback=\"failed\""));

        // Audited: five queued, four sent, one failed. No credential anywhere readable, nor in the log.
        var (_, auditorKey) = await server.CreateKeyAsync(ApiRole.Auditor, "auditor");
        var audit = await server.Client(auditorKey).GetStringAsync("/api/v1/audit?limit=1000");
        var actions = JsonNode.Parse(audit)!["items"]!.AsArray().Select(static e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Equal((5, 4, 1), (actions.Count(static a => a == "exchange.feedback.queue"), actions.Count(static a => a == "exchange.feedback.sent"), actions.Count(static a => a == "exchange.feedback.failed")));
        var readable = string.Join('\n', audit, view.ToJsonString(), forNcmec.ToJsonString(), await EverythingReadableAsync(server, "ncmec"), await EverythingReadableAsync(server, "stopncii"),
            await EverythingReadableAsync(server, "te"), page, server.Options.Warnings?.ToString() ?? "");
        foreach (var secret in new[] { NcmecPassword, StopNciiSubscription, StopNciiFeedbackKey, TeToken, "SECRET" })
        {
            Assert.DoesNotContain(secret, readable, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_feedback_still_failing_after_the_call_retries_goes_back_to_the_queue_and_is_sent_once_later()
    {
        var image = TestImages.Generated(911);
        var md5 = Md5(image);
        var posts = new ConcurrentQueue<Received>();
        var failuresLeft = 4;
        await using var threatExchange = await FakeProvider.StartAsync(async (context, seen) =>
        {
            context.Response.ContentType = "application/json";
            if (seen.Method == "GET")
            {
                await context.Response.WriteAsync($$$"""{"data":[{"id":"3001","indicator":"{{{md5}}}","type":"HASH_MD5","last_updated":1767225600,"descriptors":{"data":[{"id":"4001"}]}}]}""");
                return;
            }

            // The first call and its three retries fail: the feedback goes back to the queue; the next attempt succeeds.
            var status = Interlocked.Decrement(ref failuresLeft) >= 0 ? 503 : 200;
            context.Response.StatusCode = status;
            posts.Enqueue(new Received(seen.Method, seen.Path, seen.Body, status, seen.At));
        });

        await using var server = await RunningServer.StartAsync(options => options with
        {
            Exchanges = new Needle.Application.Exchanges.ExchangeOptions { RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3, FeedbackRetryDelay = TimeSpan.FromMilliseconds(300) },
            ExchangePollInterval = TimeSpan.FromHours(1),
            ExchangeFeedbackPollInterval = TimeSpan.FromMilliseconds(100),
        });
        await CreateListAsync(server, "te");
        await CreateExchangeAsync(server, new
        {
            name = "te",
            kind = "threatexchange",
            list = "te",
            settings = new Dictionary<string, string> { ["baseUrl"] = new Uri(threatExchange.BaseAddress, "/te").ToString(), ["privacyGroup"] = "9" },
            credentials = new Dictionary<string, string> { ["accessToken"] = TeToken },
        });
        Assert.True((await FetchAsync(server, "te"))["success"]!.GetValue<bool>());
        var (_, reviewerKey) = await server.CreateKeyAsync(ApiRole.Reviewer, "analyst");
        var reviewer = server.Client(reviewerKey);
        var report = await SubmitAsync(server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key), image);
        var file = Id((await MatchedAsync(reviewer, report, 1))[0]);
        await DecideAsync(reviewer, file, "child-abuse-material");

        var states = await SettledAsync(reviewer, [file]);
        Assert.Equal(["sent"], states[file]);
        var sent = (await FeedbackAsync(reviewer, file)).Single()!;
        Assert.Equal(2, sent["attempts"]!.GetValue<int>());
        Assert.Equal([503, 503, 503, 503, 200], posts.Select(static p => p.Status));
        Assert.All(posts, static p => Assert.Equal(("/te/4001", "reactions=HELPFUL"), (p.Path, p.Body)));
        Assert.Null(sent["error"]);

        // Acknowledged: confirming again queues nothing more.
        await DecideAsync(reviewer, file, "child-abuse-material");
        Assert.Single(await FeedbackAsync(reviewer, file));
        var audit = await server.Client((await server.CreateKeyAsync(ApiRole.Auditor, "auditor")).Key).GetStringAsync("/api/v1/audit?limit=1000");
        Assert.Equal((1, 1), (CountOf(audit, "\"exchange.feedback.queue\""), CountOf(audit, "\"exchange.feedback.sent\"")));
    }

    private static string StripTags(string html) => System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", ""), "\\s+", " ");

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    private static Guid Id(JsonNode file) => Guid.Parse(file["id"]!.GetValue<string>());

    private static async Task<Guid> SubmitAsync(HttpClient submitter, params byte[][] images)
    {
        var form = new MultipartFormDataContent { { new StringContent("{}", Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < images.Length; i++)
        {
            var part = new ByteArrayContent(images[i]);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, $"f{i}", $"image-{i}.png");
        }

        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    /// <summary>Waits until the report's <paramref name="count"/> files each have a match; returns the files.</summary>
    private static async Task<List<JsonNode>> MatchedAsync(HttpClient reviewer, Guid report, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var body = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{report}"));
            var files = body["files"]!.AsArray().Select(static f => f!).ToList();
            if (files.Count == count && files.All(static f => f["matches"]!.AsArray().Count > 0) && body["score"] is not null)
            {
                return files;
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    private static async Task DecideAsync(HttpClient reviewer, Guid file, string category)
    {
        var response = await reviewer.PostAsJsonAsync($"/api/v1/files/{file}/decision", new { category });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonArray> FeedbackAsync(HttpClient reviewer, Guid file)
    {
        var response = await reviewer.GetAsync($"/api/v1/files/{file}/feedback");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    /// <summary>Waits until no feedback on the files is queued or being sent; returns each file's feedback states.</summary>
    private static async Task<Dictionary<Guid, List<string>>> SettledAsync(HttpClient reviewer, Guid[] files)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var states = new Dictionary<Guid, List<string>>();
            foreach (var file in files)
            {
                states[file] = [.. (await FeedbackAsync(reviewer, file)).Select(static f => f!["state"]!.GetValue<string>())];
            }

            if (states.Values.All(static s => s.Count > 0 && s.All(static x => x is "sent" or "failed" or "cancelled")))
            {
                return states;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
