using System.Data.Common;

namespace Needle.Storage.Relational;

/// <summary>
/// A command whose parameters the dialect binds: each <c>With</c> names the value's <see cref="SqlType"/> from its
/// C# type, so a null is typed too. Instants are stored as UTC ticks (exact to the tick, which the audit hash and the
/// paging cursors need, and ordered as integers). Made by <see cref="SqlDialect.Command"/>; running it disposes it.
/// </summary>
internal readonly struct RelationalCommand
{
    private readonly DbCommand _command;
    private readonly SqlDialect _dialect;

    /// <summary>Wraps <paramref name="command"/>, whose parameters <paramref name="dialect"/> binds.</summary>
    public RelationalCommand(DbCommand command, SqlDialect dialect)
    {
        _command = command;
        _dialect = dialect;
    }

    /// <summary>The SQL, for a statement built after its parameters (only fixed fragments are appended).</summary>
    public string CommandText
    {
        get => _command.CommandText;
        set => _command.CommandText = value;
    }

    /// <summary>Binds text, or SQL NULL.</summary>
    public RelationalCommand With(string name, string? value) => Add(name, SqlType.Text, value);

    /// <summary>Binds a 32-bit integer.</summary>
    public RelationalCommand With(string name, int value) => Add(name, SqlType.Integer, value);

    /// <summary>Binds a 32-bit integer, or SQL NULL.</summary>
    public RelationalCommand With(string name, int? value) => Add(name, SqlType.Integer, value);

    /// <summary>Binds a 64-bit integer.</summary>
    public RelationalCommand With(string name, long value) => Add(name, SqlType.BigInt, value);

    /// <summary>Binds a 64-bit integer, or SQL NULL.</summary>
    public RelationalCommand With(string name, long? value) => Add(name, SqlType.BigInt, value);

    /// <summary>Binds a double.</summary>
    public RelationalCommand With(string name, double value) => Add(name, SqlType.Real, value);

    /// <summary>Binds a double, or SQL NULL.</summary>
    public RelationalCommand With(string name, double? value) => Add(name, SqlType.Real, value);

    /// <summary>Binds a flag.</summary>
    public RelationalCommand With(string name, bool value) => Add(name, SqlType.Flag, value);

    /// <summary>Binds a GUID.</summary>
    public RelationalCommand With(string name, Guid value) => Add(name, SqlType.Uuid, value);

    /// <summary>Binds a GUID, or SQL NULL.</summary>
    public RelationalCommand With(string name, Guid? value) => Add(name, SqlType.Uuid, value);

    /// <summary>Binds an instant as its UTC ticks.</summary>
    public RelationalCommand With(string name, DateTimeOffset value) => Add(name, SqlType.BigInt, value.UtcTicks);

    /// <summary>Binds an instant as its UTC ticks, or SQL NULL.</summary>
    public RelationalCommand With(string name, DateTimeOffset? value) => Add(name, SqlType.BigInt, value?.UtcTicks);

    /// <summary>Binds bytes, or SQL NULL.</summary>
    public RelationalCommand With(string name, byte[]? value) => Add(name, SqlType.Bytes, value);

    /// <summary>A JSON document (text already serialised), or SQL NULL.</summary>
    public RelationalCommand WithJson(string name, string? json) => Add(name, SqlType.Json, json);

    /// <inheritdoc cref="DbCommandExtensions.RunAsync"/>
    public Task<int> RunAsync(CancellationToken cancellationToken) => _command.RunAsync(cancellationToken);

    /// <inheritdoc cref="DbCommandExtensions.ScalarAsync"/>
    public Task<object?> ScalarAsync(CancellationToken cancellationToken) => _command.ScalarAsync(cancellationToken);

    /// <inheritdoc cref="DbCommandExtensions.ListAsync"/>
    public Task<List<T>> ListAsync<T>(Func<DbDataReader, T> map, CancellationToken cancellationToken) => _command.ListAsync(map, cancellationToken);

    /// <inheritdoc cref="DbCommandExtensions.ForEachAsync"/>
    public Task ForEachAsync(Action<DbDataReader> read, CancellationToken cancellationToken) => _command.ForEachAsync(read, cancellationToken);

    /// <inheritdoc cref="DbCommandExtensions.FirstOrDefaultAsync"/>
    public Task<T?> FirstOrDefaultAsync<T>(Func<DbDataReader, T> map, CancellationToken cancellationToken) => _command.FirstOrDefaultAsync(map, cancellationToken);

    private RelationalCommand Add(string name, SqlType type, object? value)
    {
        _command.Parameters.Add(_dialect.Parameter(name, type, value));
        return this;
    }
}
