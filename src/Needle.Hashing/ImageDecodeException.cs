namespace Needle.Hashing;

/// <summary>A file could not be decoded; the message names the file and the problem.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>A decode failure of <paramref name="path"/>; the message is "path: reason", or the reason alone without a path.</summary>
    /// <param name="path">The file, or null when decoding bytes without a name.</param>
    /// <param name="failure">The kind of failure.</param>
    /// <param name="reason">The problem, in words, without the path.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public ImageDecodeException(string? path, DecodeFailure failure, string reason, Exception? inner = null)
        : base(path is null ? reason : $"{path}: {reason}", inner)
    {
        Path = path;
        Failure = failure;
        Reason = reason;
    }

    /// <summary>A <see cref="DecodeFailure.Corrupt"/> failure with a generic reason and no path.</summary>
    public ImageDecodeException()
        : this(null, DecodeFailure.Corrupt, "the image could not be decoded")
    {
    }

    /// <summary>A <see cref="DecodeFailure.Corrupt"/> failure with <paramref name="message"/> as the reason and no path.</summary>
    public ImageDecodeException(string message)
        : this(null, DecodeFailure.Corrupt, message)
    {
    }

    /// <summary>A <see cref="DecodeFailure.Corrupt"/> failure with <paramref name="message"/> as the reason, caused by <paramref name="innerException"/>.</summary>
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
