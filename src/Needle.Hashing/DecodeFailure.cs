namespace Needle.Hashing;

/// <summary>Why a file could not be decoded.</summary>
public enum DecodeFailure
{
    /// <summary>The file is empty.</summary>
    Empty,

    /// <summary>The bytes are not an image format Needle decodes.</summary>
    UnrecognisedFormat,

    /// <summary>A recognised format that this build cannot decode (for example HEIC).</summary>
    UnsupportedFormat,

    /// <summary>The header or pixel data is damaged.</summary>
    Corrupt,

    /// <summary>The file is larger than <see cref="DecodeOptions.MaxFileBytes"/>.</summary>
    FileTooLarge,

    /// <summary>The header claims more pixels or a longer side than the limits allow (a decompression bomb, or simply too big).</summary>
    DimensionsTooLarge,

    /// <summary>Decoding took longer than <see cref="DecodeOptions.DecodeTimeout"/>.</summary>
    TimedOut,

    /// <summary>The file could not be read.</summary>
    Unreadable,

    /// <summary>
    /// The data ends before the image is complete (a cut file, a JPEG whose scan stops at an early end marker, a header
    /// declaring more bytes than the file holds); the reason starts with <c>truncated:</c>. Never hashed: a partial
    /// image would give a wrong hash that matches nothing.
    /// </summary>
    Truncated,
}
