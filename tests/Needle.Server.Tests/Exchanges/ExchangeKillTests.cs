using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Needle.Server.Tests.Faults;
using static Needle.Server.Tests.Exchanges.ExchangeTestHelpers;

namespace Needle.Server.Tests.Exchanges;

/// <summary>
/// A real <c>needle serve</c> killed with SIGKILL in the middle of a StopNCII fetch (while it waits for page 2), then
/// started again on the same database: the fetch resumes from the checkpoint stored with page 1 (page 1 is not asked
/// again), and the list ends with every entry once, nothing lost or doubled. The credentials are in neither process's log.
/// </summary>
public sealed class ExchangeKillTests
{
    private const string SubscriptionKey = "kill-sub-SECRET-71c2";
    private const string FunctionKey = "kill-fn-SECRET-0be5";

    [Fact]
    public async Task A_fetch_killed_mid_page_resumes_from_its_checkpoint_with_nothing_lost_or_doubled()
    {
        var page2Asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirstPage2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var page2Count = 0;
        await using var provider = await FakeProvider.StartAsync(async (context, seen) =>
        {
            context.Response.ContentType = "application/json";
            var token = seen.Query.GetValueOrDefault("nextPageToken");
            if (token is null)
            {
                await context.Response.WriteAsync($$"""{"count":2,"nextPageToken":"p2","nextSetTimestamp":0,"hasMoreRecords":true,"hashRecords":[{"signalType":"ImagePDQ","hashValue":"{{Pdq1}}","hashStatus":"Active"},{"signalType":"VideoMD5","hashValue":"{{Md5A}}","hashStatus":"Active"}]}""");
            }
            else if (token == "p2")
            {
                if (Interlocked.Increment(ref page2Count) == 1)
                {
                    // The first process dies while it waits here.
                    page2Asked.TrySetResult();
                    await releaseFirstPage2.Task;
                    context.Abort();
                    return;
                }

                await context.Response.WriteAsync($$"""{"count":2,"nextPageToken":"p3","nextSetTimestamp":0,"hasMoreRecords":true,"hashRecords":[{"signalType":"ImagePDQ","hashValue":"{{Pdq2}}","hashStatus":"Active"},{"signalType":"VideoMD5","hashValue":"{{Md5B}}","hashStatus":"Received"}]}""");
            }
            else
            {
                var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
                await context.Response.WriteAsync($$"""{"count":2,"nextPageToken":"","nextSetTimestamp":{{now}},"hasMoreRecords":false,"hashRecords":[{"signalType":"ImagePDQ","hashValue":"{{Pdq3}}","hashStatus":"Active"},{"signalType":"ImagePDQ","hashValue":"{{Pdq1}}","hashStatus":"Deleted"}]}""");
            }
        });

        var folder = Path.Combine(Path.GetTempPath(), "needle-exchange-kill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var db = Path.Combine(folder, "needle.db");
        var logs = new List<string>();
        try
        {
            string adminKey;
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using (var first = await NeedleProcess.StartAsync(db, workers: 1, TimeSpan.FromSeconds(60)))
            {
                adminKey = first.AdminKey ?? throw new InvalidOperationException("no admin key:\n" + first.Output);
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync(new Uri(first.BaseAddress, "/api/v1/lists"), new { name = "ncii" })).StatusCode);
                var created = await http.PostAsJsonAsync(new Uri(first.BaseAddress, "/api/v1/exchanges"), new
                {
                    name = "stopncii",
                    kind = "stopncii",
                    list = "ncii",
                    settings = new Dictionary<string, string> { ["baseUrl"] = provider.BaseAddress.ToString(), ["pageSize"] = "2" },
                    credentials = new Dictionary<string, string> { ["subscriptionKey"] = SubscriptionKey, ["fetchFunctionKey"] = FunctionKey },
                    intervalMinutes = 600,
                });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(new Uri(first.BaseAddress, "/api/v1/exchanges/stopncii/fetch"), null)).StatusCode);
                await page2Asked.Task.WaitAsync(TimeSpan.FromSeconds(60));

                // Page 1 is applied and its checkpoint stored: SIGKILL now, mid-fetch.
                var during = JsonNode.Parse(await http.GetStringAsync(new Uri(first.BaseAddress, "/api/v1/exchanges/stopncii/status")))!;
                Assert.True(during["running"]!.GetValue<bool>());
                Assert.Contains("p2", during["checkpoint"]!.GetValue<string>(), StringComparison.Ordinal);
                first.Kill();
                logs.Add(first.Output + first.Errors);
            }

            releaseFirstPage2.TrySetResult();
            using var second = await NeedleProcess.StartAsync(db, workers: 1, TimeSpan.FromSeconds(60));
            JsonNode status;
            using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            {
                while (true)
                {
                    // Asked again until a fetch ends well (the first job may find the dead fetch's lease not yet freed).
                    Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(new Uri(second.BaseAddress, "/api/v1/exchanges/stopncii/fetch"), null, deadline.Token)).StatusCode);
                    await Task.Delay(TimeSpan.FromMilliseconds(300), deadline.Token);
                    status = JsonNode.Parse(await http.GetStringAsync(new Uri(second.BaseAddress, "/api/v1/exchanges/stopncii/status"), deadline.Token))!;
                    if (status["success"]?.GetValue<bool>() == true && !status["running"]!.GetValue<bool>())
                    {
                        break;
                    }
                }
            }

            var entries = JsonNode.Parse(await http.GetStringAsync(new Uri(second.BaseAddress, "/api/v1/lists/ncii/entries")))!.AsArray()
                .Select(static e => e!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { Md5A, Md5B, Pdq2, Pdq3 }.Order(StringComparer.Ordinal), entries);

            // Page 1 was asked once: the second process went on from the checkpoint, not from the start.
            Assert.Single(provider.Requests, static r => !r.Query.ContainsKey("nextPageToken") && r.Query["startTimestamp"] == "0");
            // Page 2 of that run twice: the request the kill cut, and the resumed one (later fetches start from a new timestamp).
            Assert.Equal(2, provider.Requests.Count(static r => r.Query.GetValueOrDefault("nextPageToken") == "p2" && r.Query["startTimestamp"] == "0"));
            logs.Add(second.Output + second.Errors);
        }
        finally
        {
            releaseFirstPage2.TrySetResult();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temp folder; harmless.
            }
        }

        Assert.All(logs, static log => Assert.DoesNotContain("SECRET", log, StringComparison.Ordinal));
    }
}
