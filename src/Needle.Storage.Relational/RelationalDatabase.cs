using System.Data.Common;

namespace Needle.Storage.Relational;

/// <summary>
/// A backend's connections and transactions, as the relational stores use them. Each backend keeps its own way of
/// running them (SQLite: one writer loop with group commit; PostgreSQL: a pooled data source) and its dialect; the
/// stores only ask for a read or a write.
/// </summary>
internal abstract class RelationalDatabase(SqlDialect dialect) : IAsyncDisposable
{
    /// <summary>The database's differences.</summary>
    public SqlDialect Dialect { get; } = dialect;

    /// <summary>The clock of every timestamp the store writes.</summary>
    public abstract TimeProvider Time { get; }

    /// <summary>After this many attempts a job that fails again (or whose lease keeps expiring) is parked as failed.</summary>
    public abstract int MaxJobAttempts { get; }

    /// <summary>Runs <paramref name="read"/> in a read transaction, so its several queries see one snapshot.</summary>
    public abstract Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> read, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="write"/> in a write transaction and returns once it is committed (durably). A write that
    /// decides to change nothing simply returns before writing; one that throws is rolled back (nothing of it is kept)
    /// and its exception rethrown.
    /// </summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken);

    /// <summary>Finishes what is in flight where the backend queues work, then closes its connections.</summary>
    public abstract ValueTask DisposeAsync();
}
