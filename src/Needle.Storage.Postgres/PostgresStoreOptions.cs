namespace Needle.Storage.Postgres;

/// <summary>Settings of a <see cref="PostgresNeedleStore"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>The clock of every timestamp the store writes (audit entries, job times, processed_at).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>After this many attempts a job that fails again (or whose lease keeps expiring) is parked as failed.</summary>
    public int MaxJobAttempts { get; init; } = 5;
}
