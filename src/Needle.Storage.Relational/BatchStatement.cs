using System.Data.Common;

namespace Needle.Storage.Relational;

/// <summary>
/// One statement of a <see cref="StatementBatch"/>: set a row's values with <see cref="Set"/> (parameters numbered in
/// the order they were declared), then <see cref="AddRowAsync"/>. Values are converted by the dialect as
/// <see cref="RelationalCommand"/> does, except instants, which callers pass as ticks.
/// </summary>
internal sealed class BatchStatement : IAsyncDisposable
{
    private readonly StatementBatch _owner;
    private readonly string _sql;
    private readonly (string Name, SqlType Type)[] _parameters;

    // Not batching: the one command, run again for every row.
    private readonly DbCommand? _command;

    // Batching: the row being filled, added to the batch by AddRowAsync.
    private DbBatchCommand? _row;

    internal BatchStatement(StatementBatch owner, string sql, (string Name, SqlType Type)[] parameters)
    {
        _owner = owner;
        _sql = sql;
        _parameters = parameters;
        if (owner.Batch is null)
        {
            _command = owner.Connection.Command(owner.Transaction, sql);
            AddParameters(_command.Parameters);
        }
    }

    /// <summary>Sets parameter <paramref name="index"/> of the current row (null is SQL NULL).</summary>
    public void Set(int index, object? value)
    {
        DbParameterCollection parameters;
        if (_command is not null)
        {
            parameters = _command.Parameters;
        }
        else
        {
            if (_row is null)
            {
                _row = _owner.Batch!.CreateBatchCommand();
                _row.CommandText = _sql;
                AddParameters(_row.Parameters);
            }

            parameters = _row.Parameters;
        }

        parameters[index].Value = _owner.Dialect.ToDatabase(_parameters[index].Type, value);
    }

    /// <summary>Ends the current row: runs it now, or queues it in the batch.</summary>
    public async ValueTask AddRowAsync(CancellationToken cancellationToken)
    {
        if (_command is not null)
        {
            await _command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        _owner.Batch!.BatchCommands.Add(_row ?? throw new InvalidOperationException("A row was added before any of its values was set."));
        _row = null;
    }

    /// <summary>Disposes the prepared command, if any (a batch's rows belong to the batch).</summary>
    public ValueTask DisposeAsync() => _command?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void AddParameters(DbParameterCollection parameters)
    {
        foreach (var (name, type) in _parameters)
        {
            parameters.Add(_owner.Dialect.CreateParameter(name, type));
        }
    }
}
