namespace Needle.Hashing;

/// <summary>The container format a file was recognised as.</summary>
public enum ImageFormat
{
    /// <summary>Not recognised, or not looked at (no PDQ was requested, or decoding failed).</summary>
    Unknown = 0,

    /// <summary>JPEG.</summary>
    Jpeg,

    /// <summary>PNG.</summary>
    Png,

    /// <summary>GIF.</summary>
    Gif,

    /// <summary>Windows bitmap.</summary>
    Bmp,

    /// <summary>WebP.</summary>
    Webp,

    /// <summary>Windows icon.</summary>
    Ico,

    /// <summary>Wireless bitmap (WBMP), recognised by Skia rather than by Needle's own header check.</summary>
    Wbmp,

    /// <summary>HEIF/HEIC, recognised by its <c>ftyp</c> brand; this build cannot decode it.</summary>
    Heif,

    /// <summary>AVIF, recognised by its <c>ftyp</c> brand; this build cannot decode it.</summary>
    Avif,

    /// <summary>Adobe DNG camera raw, as Skia reports it.</summary>
    Dng,
}
