using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>
/// Needle's storage in one SQLite file (WAL, synchronous=FULL: a write is on disk when its call returns). For a single
/// server; call <see cref="MigrateAsync"/> once at start before anything else.
/// </summary>
public sealed class SqliteNeedleStore : INeedleStore
{
    private readonly SqliteDatabase database;
    private bool disposed;

    public SqliteNeedleStore(string path, SqliteStoreOptions? options = null)
    {
        database = new SqliteDatabase(path, options ?? new SqliteStoreOptions());
        Path = System.IO.Path.GetFullPath(path);
        Reports = new SqliteReportStore(database);
        Jobs = new SqliteJobQueue(database);
        Lists = new SqliteListStore(database);
        Keys = new SqliteApiKeyStore(database);
        Audit = new SqliteAuditLog(database);
        Triage = new SqliteTriageStore(database);
        Settings = new SqliteSettingsStore(database);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The schema version this build creates and reads.</summary>
    public static int SchemaVersion => Migrations.LatestVersion;

    public IReportStore Reports { get; }

    public IJobQueue Jobs { get; }

    public IListStore Lists { get; }

    public IApiKeyStore Keys { get; }

    public IAuditLog Audit { get; }

    public ITriageStore Triage { get; }

    public ISettingsStore Settings { get; }

    /// <inheritdoc/>
    /// <exception cref="NewerSchemaException">The file was written by a newer Needle.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        return database.ExclusiveAsync((connection, ct) => Migrations.MigrateAsync(connection, Path, ct), cancellationToken);
    }

    /// <summary>True when the file opens and its schema is the one this build expects (a cheap query, not an integrity check).</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await database.ReadAsync(
                async (connection, transaction, ct) =>
                    await Migrations.ReadVersionAsync(connection, transaction, ct).ConfigureAwait(false) == Migrations.LatestVersion
                    && await connection.Command(transaction, "SELECT COUNT(*) FROM (SELECT 1 FROM reports LIMIT 1);").ScalarAsync(ct).ConfigureAwait(false) is not null,
                cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c> (slow: reads the whole file; for maintenance, not readiness). Returns "ok" or the problems found.</summary>
    public Task<string> CheckIntegrityAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var lines = await connection.Command(transaction, "PRAGMA integrity_check;").ListAsync(reader => reader.GetString(0), ct).ConfigureAwait(false);
                return string.Join('\n', lines);
            },
            cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await database.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"SQLite {Path} (schema {Migrations.LatestVersion})");
}
