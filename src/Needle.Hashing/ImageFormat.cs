namespace Needle.Hashing;

/// <summary>The container format a file was recognised as.</summary>
public enum ImageFormat
{
    Unknown = 0,
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Ico,
    Wbmp,
    Heif,
    Avif,
    Dng,
}
