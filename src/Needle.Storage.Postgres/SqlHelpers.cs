using Npgsql;
using NpgsqlTypes;

namespace Needle.Storage.Postgres;

/// <summary>
/// How values cross into PostgreSQL: GUIDs as uuid, instants as bigint UTC ticks (exact to the tick, which the audit
/// hash and the paging cursor need; timestamptz keeps only microseconds), JSON documents as jsonb, bytes as bytea.
/// </summary>
internal static class SqlHelpers
{
    public static NpgsqlCommand Command(this NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql) =>
        new(sql, connection, transaction);

    public static NpgsqlCommand With(this NpgsqlCommand command, string name, object? value)
    {
        command.Parameters.Add(new NpgsqlParameter(name, ToDatabase(value)));
        return command;
    }

    /// <summary>A parameter of a given type (needed for nulls of jsonb and the like).</summary>
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, NpgsqlDbType type, object? value)
    {
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = ToDatabase(value) });
        return command;
    }

    /// <summary>A JSON document (text already serialised) as jsonb, or SQL NULL.</summary>
    public static NpgsqlCommand WithJson(this NpgsqlCommand command, string name, string? json) => command.With(name, NpgsqlDbType.Jsonb, json);

    public static object ToDatabase(object? value) => value switch
    {
        null => DBNull.Value,
        DateTimeOffset instant => instant.UtcTicks,
        _ => value,
    };

    public static async Task<int> RunAsync(this NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<object?> ScalarAsync(this NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    /// <summary>Reads every row with <paramref name="map"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(this NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var rows = new List<T>();
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(map(reader));
                }

                return rows;
            }
        }
    }

    /// <summary>Reads the first row with <paramref name="map"/>, or default when there is none.</summary>
    public static async Task<T?> FirstOrDefaultAsync<T>(this NpgsqlCommand command, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? map(reader) : default;
            }
        }
    }
}
