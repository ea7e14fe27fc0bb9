using System.Data;
using System.Data.Common;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>
/// The data source (connection pool) and the transaction shapes every store method uses. Writes run in READ COMMITTED
/// transactions and return only after COMMIT, which with PostgreSQL's default synchronous_commit=on means after the
/// WAL was flushed. Reads run in REPEATABLE READ, READ ONLY transactions, so their several queries see one snapshot.
/// Concurrency between writers is PostgreSQL's: row locks, SKIP LOCKED for jobs, an advisory lock for the audit chain.
/// </summary>
internal sealed class PostgresDatabase : RelationalDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresDatabase(string connectionString, PostgresStoreOptions options)
        : base(PostgresDialect.Instance)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.TimeProvider);
        if (options.MaxJobAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxJobAttempts, "MaxJobAttempts must be 1 or more.");
        }

        Options = options;
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        DatabaseName = builder.ConnectionStringBuilder.Database ?? builder.ConnectionStringBuilder.Username ?? "(default)";
        Host = builder.ConnectionStringBuilder.Host ?? "(default)";
        _dataSource = builder.Build();
    }

    public PostgresStoreOptions Options { get; }

    public override TimeProvider Time => Options.TimeProvider;

    public override int MaxJobAttempts => Options.MaxJobAttempts;

    public string DatabaseName { get; }

    public string Host { get; }

    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Runs <paramref name="read"/> in a REPEATABLE READ, READ ONLY transaction: one snapshot.</summary>
    public override async Task<T> ReadAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadCoreAsync(read, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException error) when (PostgresDialect.AsStorageFull(error) is { } full)
        {
            throw full;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> in a READ COMMITTED transaction of its own and commits it; a write that throws is
    /// rolled back (nothing of it is kept) and its exception rethrown. A full disk (SQLSTATE 53100) is thrown as
    /// <see cref="Core.Storage.StorageFullException"/>, as every backend throws it.
    /// </summary>
    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteCoreAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException error) when (PostgresDialect.AsStorageFull(error) is { } full)
        {
            throw full;
        }
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<T> ReadCoreAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await connection.Command(transaction, "SET TRANSACTION READ ONLY;").RunAsync(cancellationToken).ConfigureAwait(false);
                var result = await read(connection, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    private async Task<T> WriteCoreAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> write, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var result = await write(connection, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

}
