using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Needle.Core.Access;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// The Prometheus scrape endpoint of a real server: after a report with a good image and a broken one is processed,
/// /metrics shows the counters (reports and files in and out, the decode failure by format and reason, jobs) and the
/// sampled queue gauges; it needs an admin or auditor key.
/// </summary>
[Collection(MetricsCollection.Name)]
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_after_a_report_show_its_counters_and_need_an_admin_or_auditor_key()
    {
        await using var server = await RunningServer.StartAsync(o => o with { MetricsSampleInterval = TimeSpan.FromMilliseconds(100) });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);
        var admin = server.Client(server.AdminKey);

        var image = await File.ReadAllBytesAsync(TestPaths.PdqFile("photos/p04_flowers.png"));
        var broken = image[..200];
        var report = new { externalId = "metrics", escalate = true, escalationReason = "test", files = new[] { new { part = "a", originalName = "a.png" }, new { part = "b", originalName = "b.png" } } };
        using var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" },
            { Png(image), "a", "a.png" },
            { Png(broken), "b", "b.png" },
        };
        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
        await EndToEndTests.PollProcessedAsync(reviewer, id);

        // Counters move when the report is stored and processed, the list gauges once the node has read the list change
        // log; the scrape is cached briefly, so read until they show.
        string text = "";
        for (var i = 0; i < 100 && !(text.Contains("needle_reports_processed_total", StringComparison.Ordinal) && text.Contains("needle_queue_depth", StringComparison.Ordinal) && text.Contains("needle_lists_staleness_seconds", StringComparison.Ordinal)); i++)
        {
            var scrape = await admin.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            text = await scrape.Content.ReadAsStringAsync();
            await Task.Delay(100);
        }

        Assert.Matches("needle_reports_received_total\\{[^}]*escalated=\"true\"[^}]*\\} 1", text);
        Assert.Matches("\\} 2( |$)", Line(text, "needle_files_received_total"));
        Assert.Contains("needle_files_processed_total{", text, StringComparison.Ordinal);
        Assert.Contains("state=\"hashed\"", text, StringComparison.Ordinal);
        Assert.Contains("state=\"unreadable\"", text, StringComparison.Ordinal);
        Assert.Contains("needle_decode_failures_total{", text, StringComparison.Ordinal);
        Assert.Matches("needle_decode_failures_total\\{[^}]*format=\"[a-z]+\"[^}]*reason=\"[A-Za-z]+\"", text);
        Assert.Contains("needle_jobs_completed_total{", text, StringComparison.Ordinal);
        Assert.Contains("kind=\"process-report\"", text, StringComparison.Ordinal);
        Assert.Contains("needle_queue_depth{", text, StringComparison.Ordinal);
        Assert.Contains("lane=\"general\"", text, StringComparison.Ordinal);
        Assert.Contains("needle_lists_staleness_seconds{", text, StringComparison.Ordinal);

        // An auditor may scrape too; a reviewer or submitter may not, nor anyone without a key.
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await submitter.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/metrics")).StatusCode);
    }

    private static string Line(string text, string metric) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal)) ?? $"(no {metric} in) {text}";

    private static ByteArrayContent Png(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }
}
