namespace Needle.Hashing;

/// <summary>Names for <see cref="DihedralTransform"/> as the reference and Needle's outputs spell them.</summary>
public static class DihedralTransformNames
{
    /// <summary>Number of dihedral transforms.</summary>
    public const int Count = 8;

    /// <summary>The lowercase name used in CSV and JSON output (<c>original</c>, <c>rot90</c>, ..., <c>flipminus1</c>).</summary>
    public static string ToName(this DihedralTransform transform) => transform switch
    {
        DihedralTransform.Original => "original",
        DihedralTransform.Rotate90 => "rot90",
        DihedralTransform.Rotate180 => "rot180",
        DihedralTransform.Rotate270 => "rot270",
        DihedralTransform.FlipX => "flipx",
        DihedralTransform.FlipY => "flipy",
        DihedralTransform.FlipPlus1 => "flipplus1",
        DihedralTransform.FlipMinus1 => "flipminus1",
        _ => throw new ArgumentOutOfRangeException(nameof(transform)),
    };
}
