using System.Globalization;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>flood</c> harness: a tiny backlog, then the escalated report; its figures are all there and consistent.</summary>
public sealed class FloodHarnessTests
{
    [Fact]
    public async Task A_tiny_flood_completes_and_prints_every_figure()
    {
        var result = await RunAsync("flood", "--backlog", "40", "--concurrency", "2", "--workers", "2", "--drain-seconds", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest flood: 40 reports queued", lines[0], StringComparison.Ordinal);
        var figures = lines.Skip(1).Where(l => l.Contains(':', StringComparison.Ordinal) && !l.StartsWith("escalated: ", StringComparison.Ordinal) && !l.StartsWith("processed ", StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(':', StringComparison.Ordinal)], l => double.Parse(l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));

        // The whole backlog was queued when the workers started; the escalated report was processed before being scored
        // (its processing can end before its POST's answer reaches the client, so the two are not compared).
        Assert.True(figures["jobs ahead"] >= 40, result.Out);
        Assert.True(figures["backlog accepted/s"] > 0, result.Out);
        Assert.True(figures["backlog POST p50 ms"] <= figures["backlog POST p99 ms"], result.Out);
        Assert.True(figures["escalated accepted s"] >= 0, result.Out);
        Assert.True(figures["escalated processed s"] <= figures["escalated scored s"], result.Out);
        // First in, first out would process the whole backlog of 40 first. With priority only the reports already held
        // by a worker go before it, plus what the other worker finishes while the escalated report is processed (longer
        // with the robust tier on, as in the product): far fewer than the backlog.
        Assert.InRange(figures["backlog processed before"], 0, 20);
        // A tiny backlog may be gone before the drain is watched.
        Assert.True(figures["drain watched s"] >= 0 && figures["drain processed/s"] >= 0, result.Out);
    }

    [Fact]
    public async Task Bad_arguments_are_a_usage_error()
    {
        var result = await RunAsync("flood", "--backlog", "0");
        Assert.Equal(2, result.ExitCode);
    }
}
