using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>
/// Needle's storage in one SQLite file (WAL, synchronous=FULL: a write is on disk when its call returns). For a single
/// server; call <see cref="MigrateAsync"/> once at start before anything else.
/// </summary>
/// <param name="path">The database file, created (with its folder) by <see cref="MigrateAsync"/> if need be.</param>
/// <param name="options">Settings; null for the defaults.</param>
public sealed class SqliteNeedleStore(string path, SqliteStoreOptions? options = null)
    : RelationalNeedleStore(new SqliteDatabase(path, options ?? new SqliteStoreOptions()))
{
    /// <summary>The database file (full path).</summary>
    public string Path => Sqlite.FilePath;

    private SqliteDatabase Sqlite => (SqliteDatabase)Database;

    /// <summary>The schema version this build creates and reads.</summary>
    public static int SchemaVersion => Migrations.LatestVersion;

    private protected override int LatestSchemaVersion => Migrations.LatestVersion;

    /// <inheritdoc/>
    /// <exception cref="NewerSchemaException">The file was written by a newer Needle.</exception>
    public override Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        return Sqlite.ExclusiveAsync((connection, ct) => Migrations.MigrateAsync(connection, Path, ct), cancellationToken);
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c> (slow: reads the whole file; for maintenance, not readiness). Returns "ok" or the problems found.</summary>
    public Task<string> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        Sqlite.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var lines = await connection.Command(transaction, "PRAGMA integrity_check;").ListAsync(reader => reader.GetString(0), ct).ConfigureAwait(false);
                return string.Join('\n', lines);
            },
            cancellationToken);

    /// <summary>The file and schema version, for logs.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"SQLite {Path} (schema {Migrations.LatestVersion})");

    private protected override Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Migrations.ReadVersionAsync(connection, transaction, cancellationToken);

    /// <summary>The file cannot be opened or read.</summary>
    private protected override bool IsUnavailable(Exception error) => error is SqliteException or IOException;
}
