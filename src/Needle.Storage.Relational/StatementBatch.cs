using System.Data.Common;

namespace Needle.Storage.Relational;

/// <summary>
/// Statements run for many rows in one write (a report's files and media, a file's matches, a report's link keys,
/// list entries). Where the dialect <see cref="SqlDialect.BatchesStatements"/>, every row added goes into one
/// <see cref="DbBatch"/> sent by <see cref="RunAsync"/> (one round trip); otherwise each statement is one command,
/// prepared once and run again at once for every row with new values (SQLite runs in process: nothing to save).
/// Either way the rows run in the order they were added, and nothing is left unrun after <see cref="RunAsync"/>.
/// </summary>
internal sealed class StatementBatch : IAsyncDisposable
{
    private readonly List<BatchStatement> _statements = [];

    /// <summary>A batch of statements in <paramref name="transaction"/>, bound by <paramref name="dialect"/>.</summary>
    public StatementBatch(SqlDialect dialect, DbConnection connection, DbTransaction transaction)
    {
        Dialect = dialect;
        Connection = connection;
        Transaction = transaction;
        if (dialect.BatchesStatements)
        {
            Batch = connection.CreateBatch();
            Batch.Connection = connection;
            Batch.Transaction = transaction;
        }
    }

    /// <summary>Binds the rows' values.</summary>
    public SqlDialect Dialect { get; }

    /// <summary>The connection the statements run on.</summary>
    public DbConnection Connection { get; }

    /// <summary>The write transaction the statements run in.</summary>
    public DbTransaction Transaction { get; }

    /// <summary>The batch the rows go into; null when each row runs at once.</summary>
    public DbBatch? Batch { get; }

    /// <summary>A statement of this batch, its parameters given in the order <see cref="BatchStatement.Set"/> numbers them.</summary>
    public BatchStatement Statement(string sql, params (string Name, SqlType Type)[] parameters)
    {
        var statement = new BatchStatement(this, sql, parameters);
        _statements.Add(statement);
        return statement;
    }

    /// <summary>Sends the rows queued in the batch, if any (each row already ran when not batching).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Batch is { BatchCommands.Count: > 0 })
        {
            await Batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Batch.BatchCommands.Clear();
        }
    }

    /// <summary>Disposes the statements' commands and the batch.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var statement in _statements)
        {
            await statement.DisposeAsync().ConfigureAwait(false);
        }

        if (Batch is not null)
        {
            await Batch.DisposeAsync().ConfigureAwait(false);
        }
    }
}
