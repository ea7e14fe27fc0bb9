namespace Needle.Hashing;

/// <summary>What to compute for each file and how to decode it.</summary>
public sealed record MediaHashOptions
{
    /// <summary>The hashes to compute; PDQ only by default. Without <see cref="HashAlgorithms.Pdq"/> the file is not decoded.</summary>
    public HashAlgorithms Algorithms { get; init; } = HashAlgorithms.Pdq;

    /// <summary>Compute all eight dihedral PDQ hashes (from one DCT) instead of only the original.</summary>
    public bool Dihedral { get; init; }

    /// <summary>Decoding limits and choices, including the largest file read (<see cref="DecodeOptions.MaxFileBytes"/>).</summary>
    public DecodeOptions Decode { get; init; } = DecodeOptions.Default;
}
