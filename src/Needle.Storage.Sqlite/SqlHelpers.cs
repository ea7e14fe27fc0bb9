using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Needle.Storage.Sqlite;

/// <summary>
/// How values cross into SQLite: GUIDs as lowercase "D" text (readable with the sqlite3 shell), instants as UTC ticks
/// (exact to the tick, which the audit hash needs, and ordered as integers), booleans as 0/1.
/// </summary>
internal static class SqlHelpers
{
    public static SqliteCommand Command(this SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static SqliteCommand With(this SqliteCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, ToDatabase(value));
        return command;
    }

    public static object ToDatabase(object? value) => value switch
    {
        null => DBNull.Value,
        Guid guid => GuidText(guid),
        DateTimeOffset instant => instant.UtcTicks,
        bool flag => flag ? 1L : 0L,
        _ => value,
    };

    public static string GuidText(Guid guid) => guid.ToString("D", CultureInfo.InvariantCulture);

    public static Guid GetGuidText(this SqliteDataReader reader, int ordinal) =>
        Guid.ParseExact(reader.GetString(ordinal), "D");

    public static bool GetFlag(this SqliteDataReader reader, int ordinal) => reader.GetInt64(ordinal) != 0;

    public static async Task<int> RunAsync(this SqliteCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<object?> ScalarAsync(this SqliteCommand command, CancellationToken cancellationToken)
    {
        await using (command.ConfigureAwait(false))
        {
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is DBNull ? null : value;
        }
    }

    /// <summary>Reads every row with <paramref name="map"/>.</summary>
    public static async Task<List<T>> ListAsync<T>(this SqliteCommand command, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
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
    public static async Task<T?> FirstOrDefaultAsync<T>(this SqliteCommand command, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
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
