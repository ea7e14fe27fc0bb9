namespace Needle.Robust;

/// <summary>The robust tier cannot start: its model file or native library is missing or unusable. The message names the file and the fix.</summary>
public sealed class RobustStartupException : Exception
{
    /// <summary>An exception with no message.</summary>
    public RobustStartupException()
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    public RobustStartupException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    public RobustStartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
