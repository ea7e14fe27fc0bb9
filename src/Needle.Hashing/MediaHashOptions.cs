namespace Needle.Hashing;

/// <summary>What to compute for each file and how to decode it.</summary>
public sealed record MediaHashOptions
{
    public HashAlgorithms Algorithms { get; init; } = HashAlgorithms.Pdq;

    /// <summary>Compute all eight dihedral PDQ hashes (from one DCT) instead of only the original.</summary>
    public bool Dihedral { get; init; }

    public DecodeOptions Decode { get; init; } = DecodeOptions.Default;
}
