using System.Text.RegularExpressions;
using Needle.LoadTest.Match;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>match</c> harness: SIMD brute force against the multi-index on synthetic data.</summary>
public sealed class MatchHarnessTests
{
    [Fact]
    public void Benchmark_runs_both_methods_and_they_agree()
    {
        var result = MatchBenchmark.Run(new MatchBenchmarkOptions { EntryCount = 20_000, QueryCount = 100, BruteForceQueryCount = 100, Seed = 3 });
        Assert.Equal(result.BruteForce.Hits, result.MultiIndex.Hits);
        Assert.True(result.BruteForce.Hits > 0);
        Assert.True(result.MultiIndex.BytesPerEntry > 32);
        Assert.True(result.MultiIndex.QueriesPerSecond > 0);
    }

    [Fact]
    public async Task Match_prints_its_table_and_the_methods_agree()
    {
        var result = await RunAsync("match", "--entries", "20000", "--queries", "300");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("brute-force", result.Out, StringComparison.Ordinal);
        Assert.Contains("multi-index", result.Out, StringComparison.Ordinal);
        Assert.Contains("results identical", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tiny_match_run_prints_consistent_figures_for_both_methods_and_the_saved_index()
    {
        var folder = Directory.CreateTempSubdirectory("needle-loadtest-");
        try
        {
            var save = Path.Combine(folder.FullName, "index.bin");
            var result = await RunAsync("match", "--entries", "2000", "--queries", "50", "--save", save);

            Assert.True(result.ExitCode == 0, result.Error);
            var lines = result.OutLines;
            Assert.Matches(@"^entries 2,000, radius 31, [0-9]+ substrings, seed 1, single thread$", lines[0]);
            Assert.Equal(["method", "build", "s", "B/entry", "queries", "queries/s", "p50", "ms", "p99", "ms", "hits"], Fields(lines[1]));

            // Both methods ran the same 50 queries and found the same hits; every figure is a number, the times positive.
            var brute = Fields(lines[2]);
            var multi = Fields(lines[3]);
            Assert.Equal("brute-force-simd", brute[0]);
            Assert.Equal("multi-index", multi[0]);
            Assert.All(new[] { brute, multi }, row =>
            {
                Assert.Equal(8, row.Length);
                Assert.Equal("50", row[3]);
                Assert.True(Number(row[2]) >= 32, row[2]); // at least the 32 bytes of a hash per entry
                Assert.True(Number(row[4]) > 0, row[4]);
                Assert.True(Number(row[5]) <= Number(row[6]), $"p50 {row[5]} above p99 {row[6]}");
            });
            Assert.Equal(brute[7], multi[7]);
            Assert.True(Number(multi[7]) > 0, "half the queries are near an entry: some must hit");

            // The ratio is the two rows' queries/s (both rounded, hence the tolerance).
            var ratio = Regex.Match(lines[4], @"^ratio: multi-index is ([0-9.]+)x brute force in queries/s \(([0-9.]+)x at p50\); results identical on 50 queries$");
            Assert.True(ratio.Success, lines[4]);
            Assert.Equal(Number(multi[4]) / Number(brute[4]), Number(ratio.Groups[1].Value), 0.1 * Number(ratio.Groups[1].Value));

            Assert.StartsWith("persistence: ", lines[5], StringComparison.Ordinal);
            Assert.EndsWith("loaded index identical on 50 queries", lines[5], StringComparison.Ordinal);
            Assert.True(new FileInfo(save).Length > 2000 * 32);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Match_agrees_without_hardware_intrinsics()
    {
        // The scalar fallbacks of the distance kernel and the index run in a process with SIMD switched off.
        var result = await RunProcessAsync(
            new Dictionary<string, string> { ["DOTNET_EnableHWIntrinsic"] = "0" },
            "match", "--entries", "20000", "--queries", "300", "--radius", "40");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("results identical", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_arguments_are_a_usage_error()
    {
        Assert.Equal(2, (await RunAsync("match", "--entries", "0")).ExitCode);
        Assert.Equal(2, (await RunAsync("match", "--radius", "300")).ExitCode);
    }
}
