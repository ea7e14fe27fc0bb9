namespace Needle.Video;

/// <summary>A video could not be hashed: unreadable, broken, hostile, over a limit or timed out. The message says why.</summary>
public sealed class VideoHashException : Exception
{
    /// <summary>A failure without details.</summary>
    public VideoHashException()
    {
    }

    /// <summary>A failure and why, in words for the person who sent the file.</summary>
    public VideoHashException(string message)
        : base(message)
    {
    }

    /// <summary>A failure, why, and the error that caused it.</summary>
    public VideoHashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
