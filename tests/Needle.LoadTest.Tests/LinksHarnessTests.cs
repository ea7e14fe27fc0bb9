using System.Globalization;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>links</c> harness: a tiny viral run; every report triaged, one member row per report, one cluster per image.</summary>
public sealed class LinksHarnessTests
{
    [Fact]
    public async Task A_tiny_viral_run_stores_one_member_per_report_and_one_cluster_per_image()
    {
        var result = await RunAsync("links", "--reports", "30", "--images", "3", "--concurrency", "2", "--workers", "2", "--timeout-minutes", "5");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest links: 30 reports reusing 3 images", lines[0], StringComparison.Ordinal);
        var figures = lines.Skip(1).Take(18).ToDictionary(
            l => l[..l.IndexOf(':', StringComparison.Ordinal)],
            l => double.Parse(l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..], CultureInfo.InvariantCulture));
        Assert.Equal(30, figures["triaged"]);
        Assert.Equal(30, figures["link member rows"]);
        Assert.Equal(3, figures["link cluster rows"]);
        Assert.True(figures["link tables MB"] > 0, result.Out);
        Assert.True(figures["link key rows"] >= 60, result.Out);
        Assert.Equal(0, figures["jobs open at the end"]);

        // The robust tier is on: one row per processed image, features stored once per image (copies refer to them).
        Assert.Equal(30, figures["robust feature rows"]);
        Assert.InRange(figures["robust features MB"], 0.01, 0.5);
        Assert.True(figures["processed/s"] > 0, result.Out);
        Assert.True(figures["backlog drain s"] >= 0, result.Out);
        Assert.True(figures["triage job ms first"] >= 0 && figures["triage job ms last"] >= 0, result.Out);
    }
}
