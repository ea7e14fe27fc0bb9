using Needle.Storage.Postgres;
using Needle.Storage.Tests.Contracts;
using Needle.Testing.Postgres;
using Npgsql;

namespace Needle.Storage.Tests.Postgres;

/// <summary>A fresh database on the run's server for one test, dropped afterwards.</summary>
internal sealed class PostgresTestDatabase(PostgresServer server)
{
    public string ConnectionString { get; } = server.CreateDatabase();

    public PostgresNeedleStore Open(StoreTestOptions options) =>
        new(ConnectionString, new PostgresStoreOptions { TimeProvider = options.TimeProvider, MaxJobAttempts = options.MaxJobAttempts });

    /// <summary>Runs raw SQL on the database with a connection of its own, as someone with direct access would.</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public Task DeleteAsync() => server.DropDatabaseAsync(ConnectionString);
}
