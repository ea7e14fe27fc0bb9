using System.Globalization;
using Needle.LoadTest.Common;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>serve</c> harness: an in-process server under load, with 1 worker and with W.</summary>
public sealed class ServeHarnessTests
{
    [Fact]
    public async Task A_tiny_serve_benchmark_completes_and_prints_its_table()
    {
        var result = await RunAsync("serve", "--reports", "10", "--files-per-report", "2", "--concurrency", "2", "--workers", "2", "--list-entries", "100");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest serve: 10 reports x 2 JPEGs", lines[0], StringComparison.Ordinal);
        Assert.Contains("files/s", lines[1], StringComparison.Ordinal);
        Assert.Contains("processed", lines[2], StringComparison.Ordinal);

        // One row per run (1 worker, then 2), each with ten numbers.
        var rows = lines.Skip(3).Take(2).Select(Fields).ToList();
        Assert.Equal(["1", "2"], rows.Select(r => r[0]));
        Assert.All(rows, r => Assert.Equal(10, r.Length));
        Assert.All(rows, r => Assert.All(r.Skip(1), v => Assert.True(double.Parse(v, CultureInfo.InvariantCulture) >= 0, v)));
        Assert.Contains(lines, l => l.StartsWith("ratio: 2 workers process", StringComparison.Ordinal));
        Assert.DoesNotContain("warning", result.Error, StringComparison.Ordinal);

        // Consistent: 10 reports of 2 files are twice as many files/s as reports/s accepted; percentiles in order; a
        // report is processed no sooner than it is acknowledged.
        Assert.All(rows, r =>
        {
            Assert.Equal(2 * Number(r[1]), Number(r[2]), 0.2);
            Assert.True(Number(r[4]) <= Number(r[5]), $"202 p50 {r[4]} above p99 {r[5]}");
            Assert.True(Number(r[6]) <= Number(r[7]) && Number(r[7]) <= Number(r[8]), string.Join(' ', r));
            Assert.True(Number(r[3]) > 0 && Number(r[9]) > 0, string.Join(' ', r));
        });
    }

    [Fact]
    public void Generated_images_are_distinct_jpegs_of_50_to_200_kb_and_the_same_for_a_seed()
    {
        var images = GeneratedJpegs.Generate(12, seed: 7);
        Assert.All(images, i => Assert.InRange(i.Length, 40 * 1024, 220 * 1024));
        Assert.All(images, i => Assert.Equal([0xFF, 0xD8], i[..2]));
        Assert.Equal(images.Length, images.Select(Convert.ToBase64String).Distinct().Count());
        Assert.Equal(images[3], GeneratedJpegs.GenerateOne(7, 3));
    }

    [Fact]
    public async Task Bad_arguments_are_a_usage_error()
    {
        var result = await RunAsync("serve", "--reports", "0");
        Assert.Equal(2, result.ExitCode);
    }
}
