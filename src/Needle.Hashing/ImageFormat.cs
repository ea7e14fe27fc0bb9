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

    /// <summary>HEIF/HEIC, recognised by its <c>ftyp</c> brands; decoded by Magick.NET (libheif, libde265).</summary>
    Heif,

    /// <summary>AVIF, recognised by its <c>ftyp</c> brands; decoded by Magick.NET (libheif, aom).</summary>
    Avif,

    /// <summary>Adobe DNG camera raw (a TIFF with a DNGVersion tag); decoded by Magick.NET (libraw).</summary>
    Dng,

    /// <summary>TIFF; decoded by Magick.NET (libtiff), first page only.</summary>
    Tiff,

    /// <summary>JPEG XL, codestream or container; decoded by Magick.NET (libjxl).</summary>
    JpegXl,

    /// <summary>Photoshop PSD/PSB, its merged image; decoded by Magick.NET.</summary>
    Psd,

    /// <summary>A camera raw other than DNG (CR2, CR3, NEF, ARW and other TIFF-based raws recognised by their maker); decoded by Magick.NET (libraw).</summary>
    CameraRaw,
}
