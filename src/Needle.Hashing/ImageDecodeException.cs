namespace Needle.Hashing;

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
