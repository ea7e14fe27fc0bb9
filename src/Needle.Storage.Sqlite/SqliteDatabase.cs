using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>
/// Opens connections and runs reads and writes.
/// <para>
/// Writes: SQLite has one writer, and with synchronous=FULL every commit costs an fsync (milliseconds). So writes queue
/// to one writer loop that takes every write waiting, runs each in a SAVEPOINT of one BEGIN IMMEDIATE transaction, and
/// commits them together: one fsync for the group (group commit). A write that throws is rolled back to its savepoint
/// alone; no write's task completes before the commit that made it durable has returned.
/// </para>
/// <para>Reads run concurrently on their own pooled connections; WAL gives each a consistent snapshot.</para>
/// </summary>
internal sealed class SqliteDatabase : RelationalDatabase
{
    private readonly Channel<WriteRequest> _writes = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });

    // Held by the writer loop for a group, and by exclusive work (migrations, checkpoints) that must not interleave with it.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _perConnectionPragmas;
    private readonly Task _writerLoop;

    public SqliteDatabase(string path, SqliteStoreOptions options)
        : base(SqliteDialect.Instance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        if (options.MaxJobAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxJobAttempts, "MaxJobAttempts must be 1 or more.");
        }

        if (options.MaxWriteGroupSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxWriteGroupSize, "MaxWriteGroupSize must be 1 or more.");
        }

        Options = options;
        FilePath = Path.GetFullPath(path);
        var busyTimeout = (long)Math.Max(0, options.BusyTimeout.TotalMilliseconds);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = (int)Math.Ceiling(Math.Max(1, options.BusyTimeout.TotalSeconds)),
        }.ToString();

        // Per-connection settings (journal_mode=WAL is stored in the file and set by the migrator). FULL: a commit
        // returns only once its WAL frames are fsynced, so an acknowledged report survives a power cut.
        _perConnectionPragmas = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyTimeout}; PRAGMA synchronous = FULL;")
            + (options.MaxPageCount is { } pages ? string.Create(CultureInfo.InvariantCulture, $" PRAGMA max_page_count = {pages};") : string.Empty);
        _writerLoop = Task.Run(RunWriterLoopAsync);
    }

    /// <summary>The database file (full path).</summary>
    public string FilePath { get; }

    public string ConnectionString { get; }

    public SqliteStoreOptions Options { get; }

    public override TimeProvider Time => Options.TimeProvider;

    public override int MaxJobAttempts => Options.MaxJobAttempts;

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await connection.Command(null, _perConnectionPragmas).RunAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="read"/> in a deferred transaction on a pooled connection of its own: WAL gives it one snapshot.</summary>
    public override async Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
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
    /// Queues <paramref name="write"/> to the writer loop, which runs it in a savepoint of the group's transaction, and
    /// returns once that transaction is committed. A write that decides to change nothing simply returns before
    /// writing; one that throws is rolled back to its savepoint alone and its exception returned.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new WriteRequest<T>(write, cancellationToken);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(request), typeof(SqliteNeedleStore));

        return await request.Completion.Task.ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> alone (no write runs meanwhile) on a connection without a transaction: migrations, checkpoints.</summary>
    public async Task<T> ExclusiveAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
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
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Stops taking writes, finishes those queued, folds the WAL back into the main file (so a copy of the .db alone is
    /// complete after a clean shutdown) and closes the pooled connections of this file.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        if (File.Exists(FilePath))
        {
            try
            {
                await ExclusiveAsync(
                    async (connection, ct) => await connection.Command(null, "PRAGMA wal_checkpoint(TRUNCATE);").RunAsync(ct).ConfigureAwait(false),
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (SqliteException)
            {
                // Busy with another process: the WAL is replayed at the next open anyway.
            }
        }

        using (var connection = new SqliteConnection(ConnectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _writeLock.Dispose();
    }

    private async Task RunWriterLoopAsync()
    {
        // The group is bounded so a burst does not make one huge transaction (and WAL growth) that every caller waits on.
        var maxGroupSize = Options.MaxWriteGroupSize;
        var group = new List<WriteRequest>(maxGroupSize);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < maxGroupSize && _writes.Reader.TryRead(out var request))
            {
                if (request.CancellationToken.IsCancellationRequested)
                {
                    request.Cancel();
                }
                else
                {
                    group.Add(request);
                }
            }

            if (group.Count > 0)
            {
                await RunGroupAsync(group).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs a group of writes in one transaction. Never throws: every request ends completed, failed or cancelled. A
    /// full disk (SQLITE_FULL) is told to every caller it touches as a <see cref="StorageFullException"/>; when SQLite
    /// ends the whole transaction on an error (it may, on a full disk or an I/O error), the group's other writes are
    /// rolled back with it and their callers told that error, never a stale transaction's.
    /// </summary>
    private async Task RunGroupAsync(List<WriteRequest> group)
    {
        var done = new List<WriteRequest>(group.Count);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // deferred: false is BEGIN IMMEDIATE: the file's write lock is taken now (waiting for another process
                // if need be), never half-way through with a write already made.
                var transaction = connection.BeginTransaction(deferred: false);
                Exception? lost = null;
                try
                {
                    foreach (var request in group)
                    {
                        transaction.Save("write");
                        try
                        {
                            await request.RunAsync(connection, transaction).ConfigureAwait(false);
                            transaction.Release("write");
                            done.Add(request);
                        }
#pragma warning disable CA1031 // The write's own exception goes back to its caller; the group carries on.
                        catch (Exception error)
#pragma warning restore CA1031
                        {
                            // Told first: should the transaction be gone, this caller still gets its own error.
                            var cause = Translate(error);
                            request.Fail(cause);
                            if (!TryRollBackToSavepoint(connection, transaction))
                            {
                                lost = cause;
                                break;
                            }
                        }
                    }

                    if (lost is null)
                    {
                        await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }
                finally
                {
                    DisposeQuietly(connection, transaction);
                }

                if (lost is not null)
                {
                    // Nothing of the group was committed: every caller is told why (a write that already failed keeps its own error).
                    foreach (var request in group)
                    {
                        request.Fail(lost);
                    }

                    return;
                }
            }

            foreach (var request in done)
            {
                request.Succeed();
            }
        }
#pragma warning disable CA1031 // Opening, beginning or committing failed: none of the group is durable; each caller is told.
        catch (Exception error)
#pragma warning restore CA1031
        {
            var cause = Translate(error);
            foreach (var request in group)
            {
                request.Fail(cause);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>A full database as the type every backend throws for it; any other error as it is.</summary>
    private static Exception Translate(Exception error) => error switch
    {
        StorageFullException => error,
        SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL } full => new StorageFullException(
            "The SQLite database is full (its disk, or its size limit): the write was not made and nothing written before is lost; free space and try again.",
            full),
        _ => error,
    };

    /// <summary>Undoes the failed write alone; false when SQLite has already ended the whole transaction (or cannot undo it).</summary>
    private static bool TryRollBackToSavepoint(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (InAutocommit(connection))
        {
            return false;
        }

        try
        {
            transaction.Rollback("write");
            transaction.Release("write");
            return !InAutocommit(connection);
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Ends the transaction object; when SQLite already rolled the transaction back, there is nothing left to undo.</summary>
    private static void DisposeQuietly(SqliteConnection connection, SqliteTransaction transaction)
    {
        try
        {
            transaction.Dispose();
        }
        catch (Exception e) when ((e is SqliteException or InvalidOperationException) && InAutocommit(connection))
        {
        }
    }

    /// <summary>True when no transaction is open on the connection (SQLite rolled it back, or it ended).</summary>
    private static bool InAutocommit(SqliteConnection connection) =>
        connection.Handle is { } handle && SQLitePCL.raw.sqlite3_get_autocommit(handle) != 0;

    private abstract class WriteRequest(CancellationToken cancellationToken)
    {
        public CancellationToken CancellationToken { get; } = cancellationToken;

        public abstract Task RunAsync(SqliteConnection connection, SqliteTransaction transaction);

        public abstract void Succeed();

        public abstract void Fail(Exception error);

        public abstract void Cancel();
    }

    private sealed class WriteRequest<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
        : WriteRequest(cancellationToken)
    {
        private T _result = default!;

        // Asynchronous continuations: callers must never run on (and stall) the writer loop.
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(SqliteConnection connection, SqliteTransaction transaction) =>
            _result = await write(connection, transaction, CancellationToken).ConfigureAwait(false);

        public override void Succeed() => Completion.TrySetResult(_result);

        public override void Fail(Exception error)
        {
            if (error is OperationCanceledException && CancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(CancellationToken);
            }
            else
            {
                Completion.TrySetException(error);
            }
        }

        public override void Cancel() => Completion.TrySetCanceled(CancellationToken);
    }
}
