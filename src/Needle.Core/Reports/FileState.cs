namespace Needle.Core.Reports;

/// <summary>Where a file is in its life.</summary>
public enum FileState
{
    /// <summary>Stored, not hashed yet.</summary>
    Pending = 0,

    /// <summary>Hashed and matched.</summary>
    Hashed = 1,

    /// <summary>The media could not be decoded; the reason is kept. Exact hashes of its bytes are still computed and matched.</summary>
    Unreadable = 2,

    /// <summary>No media was sent: only the reporter's hashes, which are matched.</summary>
    HashesOnly = 3,
}
