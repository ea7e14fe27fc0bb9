using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Issue 14, findings 2, 3 and 9: rate limits per key and per address (429 with Retry-After, then a later request
/// passes), refused sign-ins throttled and audited once per burst with a count, and the sign-in's returnUrl kept on
/// this server whatever its encoding.
/// </summary>
public sealed partial class RateLimitTests
{
    [Fact]
    public async Task A_key_over_its_limit_gets_429_with_retry_after_and_passes_again_later()
    {
        var window = TimeSpan.FromSeconds(1);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            RateLimits = o.RateLimits with
            {
                // The role's limit wins over the class's.
                PerKey = new Dictionary<string, RateLimit> { ["lookup"] = new(100, window), ["submitter:lookup"] = new(3, window) },
            },
        });
        var first = server.Client((await server.CreateKeyAsync(ApiRole.Submitter, "first")).Key);
        var second = server.Client((await server.CreateKeyAsync(ApiRole.Submitter, "second")).Key);
        const string lookup = "/m/raw_lookup?signal_type=md5&signal=d41d8cd98f00b204e9800998ecf8427e";

        await WaitForNextWindowAsync(window);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(lookup)).StatusCode);
        }

        var refused = await first.GetAsync(lookup);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta ?? throw new InvalidOperationException("no Retry-After");
        Assert.InRange(retryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.Contains("lookup", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Another key is not held back by the first one's limit.
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync(lookup)).StatusCode);

        await Task.Delay(retryAfter + TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync(lookup)).StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_limited_per_address()
    {
        var window = TimeSpan.FromSeconds(1);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            RateLimits = o.RateLimits with { PerAddress = new Dictionary<string, RateLimit> { ["other"] = new(5, window) } },
        });
        var anonymous = server.Client("ndl_not-a-key");
        await WaitForNextWindowAsync(window);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            statuses.Add((await anonymous.GetAsync("/api/v1/lists")).StatusCode);
        }

        Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(3, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Health probes are never limited.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/livez")).StatusCode);
        await Task.Delay(window + TimeSpan.FromMilliseconds(200));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/lists")).StatusCode);
    }

    [Fact]
    public async Task Three_hundred_refused_sign_ins_make_a_handful_of_audit_entries_with_counts()
    {
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            RateLimits = o.RateLimits with
            {
                PerAddress = new Dictionary<string, RateLimit> { ["sign-in"] = new(100, TimeSpan.FromSeconds(2)) },
                SignInBurstQuiet = TimeSpan.FromSeconds(1),
            },
        });
        var (client, token) = await SignInFormAsync(server);

        // 300 wrong keys as fast as 10 connections send them.
        var statuses = new List<HttpStatusCode>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < 300)
            {
                using var response = await PostSignInAsync(client, token, "ndl_wrong-key", null);
                lock (statuses)
                {
                    statuses.Add(response.StatusCode);
                }
            }
        })));
        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(290, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // Once the burst is over: its first refusal, then one entry counting the rest.
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        List<JsonNode> entries;
        do
        {
            await Task.Delay(250);
            var items = JsonNode.Parse(await auditor.GetStringAsync("/api/v1/audit?limit=1000"))!["items"]!.AsArray();
            entries = [.. items.Where(e => e!["action"]!.GetValue<string>() == "session.signin-refused").Select(e => e!)];
        }
        while (entries.Sum(Count) < 300 && waited.Elapsed < TimeSpan.FromSeconds(15));

        Assert.Equal(300, entries.Sum(Count));
        Assert.InRange(entries.Count, 2, 3);
        Assert.All(entries, e => Assert.Equal("127.0.0.1", e["remoteAddress"]!.GetValue<string>()));

        // The address may sign in again once the burst and the window are over.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer)).Key;
        using var signedIn = await PostSignInAsync(client, token, reviewerKey, null);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    /// <summary>The sign-in redirect variants of the issue and their encodings: each must land on the queue.</summary>
    public static readonly string[] UnsafeReturnUrls =
    [
        "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/", "/\r\nLocation: https://evil.example/",
        "%2F%2Fevil.example/", "/%2F%2Fevil.example/", "/%5Cevil.example/", "/%09/evil.example/", "/%250A/evil.example/",
        "https://evil.example/", "javascript:alert(1)", "/\u00e9vil", "\\\\evil.example\\", " /queue",
    ];

    [Fact]
    public async Task Every_unsafe_return_url_lands_on_the_queue()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var (client, token) = await SignInFormAsync(server);
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer)).Key;
        var failures = new List<string>();
        foreach (var returnUrl in UnsafeReturnUrls)
        {
            using var response = await PostSignInAsync(client, token, reviewerKey, returnUrl);
            if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString != "/queue")
            {
                failures.Add($"{Uri.EscapeDataString(returnUrl)}: {(int)response.StatusCode} to {response.Headers.Location}");
            }

            // The sign-in page does not carry it forward either.
            var page = await client.GetStringAsync("/signin?returnUrl=" + Uri.EscapeDataString(returnUrl));
            if (page.Contains("name=\"returnUrl\"", StringComparison.Ordinal))
            {
                failures.Add($"{Uri.EscapeDataString(returnUrl)}: kept in the sign-in form");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_local_return_url_is_followed()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var (client, token) = await SignInFormAsync(server);
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer)).Key;
        var local = $"/reports/{Guid.NewGuid()}?notice=a%20b";
        using var response = await PostSignInAsync(client, token, reviewerKey, local);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(local, response.Headers.Location!.OriginalString);
    }

    private static double Count(JsonNode entry) =>
        JsonNode.Parse(entry["details"]!.GetValue<string>())!["count"]!.GetValue<int>();

    /// <summary>Starts just after a fixed window turned (windows tick every 100 ms), so a test's requests share one window.</summary>
    private static async Task WaitForNextWindowAsync(TimeSpan window) => await Task.Delay(window + TimeSpan.FromMilliseconds(150));

    /// <summary>A cookie-keeping client that does not follow redirects, and the anti-forgery token of the sign-in form.</summary>
    private static async Task<(HttpClient Client, string Token)> SignInFormAsync(RunningServer server)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = server.BaseAddress };
        var page = await client.GetStringAsync("/signin");
        var token = CsrfField().Match(page).Groups["token"].Value;
        Assert.NotEmpty(token);
        return (client, token);
    }

    private static Task<HttpResponseMessage> PostSignInAsync(HttpClient client, string token, string key, string? returnUrl)
    {
        var form = new List<KeyValuePair<string, string>> { new("__csrf", token), new("key", key) };
        if (returnUrl is not null)
        {
            form.Add(new("returnUrl", returnUrl));
        }

        return client.PostAsync("/signin", new FormUrlEncodedContent(form));
    }

    [GeneratedRegex("name=\"__csrf\" value=\"(?<token>[^\"]+)\"")]
    private static partial Regex CsrfField();
}
