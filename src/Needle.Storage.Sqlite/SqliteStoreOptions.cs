namespace Needle.Storage.Sqlite;

/// <summary>Settings of a <see cref="SqliteNeedleStore"/>.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>How long a statement waits for another writer (another process) before failing with "database is locked".</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of every timestamp the store writes (audit entries, job times, processed_at).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>After this many attempts a job that fails again (or whose lease keeps expiring) is parked as failed.</summary>
    public int MaxJobAttempts { get; init; } = 5;

    /// <summary>
    /// The most pages (4 KiB each by default) the database file may grow to (SQLite's <c>max_page_count</c>), a size
    /// quota; null for no limit but the disk's. Reaching it is answered like a full disk: a
    /// <see cref="Core.Storage.StorageFullException"/>, nothing written, and writes succeed again once rows are deleted.
    /// </summary>
    public long? MaxPageCount { get; init; }

    /// <summary>Most writes committed in one transaction (group commit); 1 commits (and fsyncs) each write alone. For benchmarks and tests.</summary>
    internal int MaxWriteGroupSize { get; init; } = 64;
}
