using Needle.Matching.Index;

namespace Needle.LoadTest.Match;

/// <summary>Settings for <see cref="MatchBenchmark"/>.</summary>
internal sealed record MatchBenchmarkOptions
{
    /// <summary>Entries in the synthetic index.</summary>
    public int EntryCount { get; init; } = 1_000_000;

    /// <summary>Queries timed on the multi-index; half near an entry, half random.</summary>
    public int QueryCount { get; init; } = 2_000;

    /// <summary>How many of those queries brute force also runs (it is slow at scale); all of them are cross-checked.</summary>
    public int BruteForceQueryCount { get; init; } = 200;

    /// <summary>Range-search radius.</summary>
    public int Radius { get; init; } = 31;

    /// <summary>Share of entries that belong to near-duplicate clusters.</summary>
    public double ClusteredFraction { get; init; } = 0.3;

    /// <summary>Entries per cluster.</summary>
    public int ClusterSize { get; init; } = 20;

    /// <summary>Most bits flipped from a cluster centre to make a member.</summary>
    public int ClusterMaxFlips { get; init; } = 12;

    /// <summary>Random seed; the same seed gives the same data and queries.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Index options for the multi-index (e.g. a fixed substring count).</summary>
    public PdqIndexOptions IndexOptions { get; init; } = PdqIndexOptions.Default;

    /// <summary>
    /// When set, the multi-index is also saved to this file with <see cref="PdqIndexFile"/>, read back and rebuilt, and
    /// the rebuilt index is checked against the original on every query; the timings land in
    /// <see cref="MatchBenchmarkResult.Persistence"/>.
    /// </summary>
    public string? SavePath { get; init; }
}
