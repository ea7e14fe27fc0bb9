using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class MatchBenchmarkTests
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
}
