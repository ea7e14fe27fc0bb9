using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Needle.Storage.Sqlite;

/// <summary>
/// Opens connections and runs reads and writes. SQLite has one writer at a time: writes in this process queue on an
/// async lock (so they never spin on SQLITE_BUSY against each other) and run in BEGIN IMMEDIATE transactions (so a
/// writer in another process is waited for at the start, never half-way). Reads run concurrently on their own pooled
/// connections; WAL gives each a consistent snapshot.
/// </summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly string perConnectionPragmas;

    public SqliteDatabase(string path, SqliteStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxJobAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxJobAttempts, "MaxJobAttempts must be 1 or more.");
        }

        Options = options;
        var busyTimeout = (long)Math.Max(0, options.BusyTimeout.TotalMilliseconds);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = (int)Math.Ceiling(Math.Max(1, options.BusyTimeout.TotalSeconds)),
        }.ToString();

        // Per-connection settings (journal_mode=WAL is stored in the file and set by the migrator). FULL: a commit
        // returns only once its WAL frames are fsynced, so an acknowledged report survives a power cut.
        perConnectionPragmas = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyTimeout}; PRAGMA synchronous = FULL;");
    }

    public string ConnectionString { get; }

    public SqliteStoreOptions Options { get; }

    public TimeProvider Time => Options.TimeProvider;

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.Command(null, perConnectionPragmas).RunAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/> in a read transaction, so its several queries see one snapshot.</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                return await read(connection, transaction, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> in a BEGIN IMMEDIATE transaction under the write lock and commits when it returns
    /// (it rolls back when it throws). A write that decides to change nothing simply returns before writing.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // deferred: false is BEGIN IMMEDIATE: the write lock is taken now, not at the first write.
                var transaction = connection.BeginTransaction(deferred: false);
                await using (transaction.ConfigureAwait(false))
                {
                    var result = await write(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    return result;
                }
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Holds the write lock while <paramref name="action"/> runs on a connection without a transaction (migrations, checkpoints).</summary>
    public async Task<T> ExclusiveAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await action(connection, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>Closes the pooled connections of this file, so it is not held open after the store is disposed.</summary>
    public void ClearPool()
    {
        using var connection = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(connection);
    }

    public void Dispose() => writeLock.Dispose();
}
