using Microsoft.Data.Sqlite;
using Needle.Storage.Sqlite;
using Needle.Storage.Tests.Contracts;

namespace Needle.Storage.Tests.Sqlite;

/// <summary>A real SQLite file in its own temporary folder, deleted afterwards.</summary>
internal sealed class SqliteTestDatabase
{
    public SqliteTestDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "needle-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        FilePath = Path.Combine(Folder, "needle.db");
    }

    public string Folder { get; }

    public string FilePath { get; }

    public SqliteNeedleStore Open(StoreTestOptions options) =>
        new(FilePath, new SqliteStoreOptions { TimeProvider = options.TimeProvider, MaxJobAttempts = options.MaxJobAttempts, BusyTimeout = TimeSpan.FromSeconds(30) });

    /// <summary>Runs raw SQL on the file with a connection of its own (not pooled, so it does not outlive the call).</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = FilePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public Task DeleteAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; harmless.
        }

        return Task.CompletedTask;
    }
}
