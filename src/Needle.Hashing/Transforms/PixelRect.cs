namespace Needle.Hashing.Transforms;

/// <summary>An axis-aligned rectangle of pixels.</summary>
/// <param name="X">Left column.</param>
/// <param name="Y">Top row.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>Whether this rectangle covers all of a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    public bool IsWhole(int width, int height) => X == 0 && Y == 0 && Width == width && Height == height;
}
