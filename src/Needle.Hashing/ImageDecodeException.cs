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

    /// <summary>The header or pixel data is damaged or truncated.</summary>
    Corrupt,

    /// <summary>The file is larger than <see cref="DecodeOptions.MaxFileBytes"/>.</summary>
    FileTooLarge,

    /// <summary>The header claims more pixels or a longer side than the limits allow (a decompression bomb, or simply too big).</summary>
    DimensionsTooLarge,

    /// <summary>Decoding took longer than <see cref="DecodeOptions.DecodeTimeout"/>.</summary>
    TimedOut,

    /// <summary>The file could not be read.</summary>
    Unreadable,
}

/// <summary>A file could not be decoded; the message names the file and the problem.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string? path, DecodeFailure failure, string reason, Exception? inner = null)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        Path = path;
        Failure = failure;
        Reason = reason;
    }

    public ImageDecodeException()
        : this(null, DecodeFailure.Corrupt, "the image could not be decoded")
    {
    }

    public ImageDecodeException(string message)
        : this(null, DecodeFailure.Corrupt, message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : this(null, DecodeFailure.Corrupt, message, innerException)
    {
    }

    /// <summary>The file, when decoding from a path.</summary>
    public string? Path { get; }

    /// <summary>The kind of failure.</summary>
    public DecodeFailure Failure { get; }

    /// <summary>The problem, without the path.</summary>
    public string Reason { get; }
}
