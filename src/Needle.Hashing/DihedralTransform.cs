namespace Needle.Hashing;

/// <summary>
/// The eight symmetries of a square, in the order Meta's reference prints them with <c>--pdqdih-across</c>.
/// </summary>
public enum DihedralTransform
{
    /// <summary>The image as stored.</summary>
    Original = 0,

    /// <summary>Rotated 90 degrees anticlockwise.</summary>
    Rotate90 = 1,

    /// <summary>Rotated 180 degrees.</summary>
    Rotate180 = 2,

    /// <summary>Rotated 90 degrees clockwise (270 anticlockwise).</summary>
    Rotate270 = 3,

    /// <summary>Mirrored top to bottom (rows reversed).</summary>
    FlipX = 4,

    /// <summary>Mirrored left to right (columns reversed).</summary>
    FlipY = 5,

    /// <summary>Transposed about the main diagonal.</summary>
    FlipPlus1 = 6,

    /// <summary>Transposed about the anti-diagonal.</summary>
    FlipMinus1 = 7,
}

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
