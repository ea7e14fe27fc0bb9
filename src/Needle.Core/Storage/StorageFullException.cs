namespace Needle.Core.Storage;

/// <summary>
/// The database has no room left (its disk is full, or it reached its size limit): the write was not made, nothing
/// written before is lost, and the same write succeeds once space returns. Every backend throws this type, so callers
/// answer it in one way (the server: 507 with a Retry-After) whatever the store.
/// </summary>
public sealed class StorageFullException : IOException
{
    /// <summary>The database is full, without details.</summary>
    public StorageFullException()
        : base("The database is full: nothing was written; free disk space and try again.")
    {
    }

    /// <summary>The database is full, with an operator's message.</summary>
    public StorageFullException(string message)
        : base(message)
    {
    }

    /// <summary>The database is full, with an operator's message and the database's own error.</summary>
    public StorageFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
