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
