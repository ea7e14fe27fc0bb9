namespace Needle.Hashing;

/// <summary>How the samples of a <see cref="DecodedImage"/> are laid out.</summary>
public enum PixelLayout
{
    /// <summary>One byte per pixel: grey level. Used when every pixel of the image has R = G = B.</summary>
    Gray8 = 1,

    /// <summary>Three bytes per pixel: R, G, B (alpha dropped, never premultiplied).</summary>
    Rgb24 = 3,
}
