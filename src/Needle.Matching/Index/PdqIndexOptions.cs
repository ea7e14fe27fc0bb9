namespace Needle.Matching.Index;

/// <summary>Tuning knobs shared by the PDQ indexes. The defaults suit production use.</summary>
public sealed record PdqIndexOptions
{
    /// <summary>Default options.</summary>
    public static PdqIndexOptions Default { get; } = new();

    /// <summary>Use the portable scalar distance kernel even where SIMD is available (for testing and comparison).</summary>
    public bool ForceScalarKernel { get; init; }

    /// <summary>
    /// Multi-index hashing only: the number of substrings the 256 bits are split into. Null lets the index choose from
    /// the entry count (fewer, wider substrings for larger indexes).
    /// </summary>
    public int? SubstringCount { get; init; }

    /// <summary>
    /// Multi-index hashing only: the most bytes per entry the bucket-offset tables may use when the index chooses the
    /// substring count. Larger allows fewer, wider substrings (fewer candidates, more memory).
    /// </summary>
    public int MaxBucketTableBytesPerEntry { get; init; } = 48;

    /// <summary>
    /// Multi-index hashing only: entries added since the last merge are held in a small buffer scanned by brute force;
    /// it is merged into the tables once it holds this many entries (null: chosen from the index size).
    /// </summary>
    public int? DeltaMergeThreshold { get; init; }

    /// <summary>Test hook: how range search picks between the tables and a full scan.</summary>
    internal SearchStrategy Strategy { get; init; }

    internal KernelPath KernelPath => ForceScalarKernel ? KernelPath.Scalar : HammingKernel.BestPath;
}

/// <summary>How a multi-index range search picks between probing the tables and scanning everything.</summary>
internal enum SearchStrategy
{
    /// <summary>Whichever the cost model estimates cheaper.</summary>
    CostBased = 0,

    /// <summary>Always probe the tables (when they exist); tests use this to exercise them on small data.</summary>
    AlwaysTables = 1,

    /// <summary>Always scan.</summary>
    AlwaysScan = 2,
}
