namespace Needle.LoadTest.Match;

/// <summary>Outcome of <see cref="MatchBenchmark.Run"/>.</summary>
internal sealed record MatchBenchmarkResult(
    MatchBenchmarkOptions Options, int SubstringCount, MatchMethodResult BruteForce, MatchMethodResult MultiIndex)
{
    /// <summary>Save/load timings when <see cref="MatchBenchmarkOptions.SavePath"/> was set.</summary>
    public PersistenceResult? Persistence { get; init; }

    /// <summary>Multi-index CPU and work per query, by query kind.</summary>
    public IReadOnlyList<QueryKindBreakdown> Breakdown { get; init; } = [];

    /// <summary>Brute-force p50 latency over multi-index p50 latency.</summary>
    public double SpeedUp => BruteForce.P50.TotalMilliseconds / Math.Max(MultiIndex.P50.TotalMilliseconds, 1e-9);

    /// <summary>Brute-force throughput ratio: multi-index queries/s over brute-force queries/s.</summary>
    public double ThroughputRatio => MultiIndex.QueriesPerSecond / BruteForce.QueriesPerSecond;
}
