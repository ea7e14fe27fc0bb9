namespace Needle.Video;

/// <summary>A video could not be hashed: unreadable, broken, hostile, over a limit or timed out. The message says why.</summary>
public sealed class VideoHashException : Exception
{
    public VideoHashException()
    {
    }

    public VideoHashException(string message)
        : base(message)
    {
    }

    public VideoHashException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
