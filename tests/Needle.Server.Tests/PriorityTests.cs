using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// An escalated report sent behind a backlog is processed, triaged and scored before any of the backlog: the API node
/// takes the reports in with no worker running, then one worker starts on the same database and works through them.
/// </summary>
public sealed class PriorityTests
{
    private const int Backlog = 40;

    [Fact]
    public async Task An_escalated_report_sent_last_is_processed_and_scored_before_the_backlog()
    {
        await using var server = await RunningServer.StartAsync(options => options with { Workers = 0 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var backlog = new List<Guid>();
        for (var i = 0; i < Backlog; i++)
        {
            backlog.Add(await SubmitAsync(submitter, escalate: false, i));
        }

        var urgent = await SubmitAsync(submitter, escalate: true, Backlog);

        using var worker = await NeedleServer.BuildWorkerAsync(server.Options with { Workers = 1 });
        await worker.StartAsync();
        try
        {
            var stopwatch = Stopwatch.StartNew();
            JsonNode? last = null;
            while (stopwatch.Elapsed < TimeSpan.FromSeconds(60))
            {
                last = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{backlog[^1]}"));
                if (last["processedAt"] is not null && last["score"] is not null)
                {
                    break;
                }

                await Task.Delay(100);
            }

            Assert.True(last?["score"] is not null, "the backlog was not worked through in time");
            var report = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{urgent}"));
            var urgentProcessed = report["processedAt"]!.GetValue<DateTimeOffset>();
            var urgentScored = report["score"]!["computedAt"]!.GetValue<DateTimeOffset>();
            foreach (var id in backlog)
            {
                var other = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}"));
                var processed = other["processedAt"]!.GetValue<DateTimeOffset>();
                Assert.True(urgentProcessed < processed, $"report {id} was processed at {processed:O}, before the escalated one ({urgentProcessed:O})");
                Assert.True(urgentScored < processed, $"report {id} was processed at {processed:O}, before the escalated one was scored ({urgentScored:O})");
            }
        }
        finally
        {
            await worker.StopAsync();
        }
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, bool escalate, int n)
    {
        var response = await client.PostAsJsonAsync("/api/v1/reports", new
        {
            externalId = "r" + n,
            escalate,
            files = new object[] { new { originalName = "x.jpg", hashes = new { md5 = n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture) } } },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }
}
