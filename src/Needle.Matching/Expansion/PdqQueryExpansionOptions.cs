namespace Needle.Matching.Expansion;

/// <summary>Which edits <see cref="PdqQueryExpander"/> tries to undo, and how far.</summary>
public sealed record PdqQueryExpansionOptions
{
    /// <summary>Hash the picture mirrored left to right (its pixels, not only its dihedral DCT hash). Default true.</summary>
    public bool Mirror { get; init; } = true;

    /// <summary>Hash the inside of a uniform or smooth frame (letter and pillar boxes). Default true.</summary>
    public bool Unletterbox { get; init; } = true;

    /// <summary>Largest rotation undone, in whole degrees, both ways; 0 turns the sweep off. Default 10.</summary>
    public int MaxRotationDegrees { get; init; } = 10;

    /// <summary>
    /// The sweep runs on a copy whose longer side is at most this (PDQ sees a 64x64 reduction anyway). Default 512.
    /// </summary>
    public int RotationWorkingSize { get; init; } = 512;

    /// <summary>
    /// A rotated candidate matches only within this many bits, below the lists' thresholds when smaller: the sweep makes
    /// 40 queries of one file, so it is held to a stricter distance to keep chance matches out. Default 24.
    /// </summary>
    public int RotationMaxDistance { get; init; } = 24;
}
