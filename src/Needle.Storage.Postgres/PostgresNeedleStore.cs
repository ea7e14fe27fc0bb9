using System.Globalization;
using Needle.Core.Storage;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>
/// Needle's storage in a PostgreSQL database, for several servers and workers sharing it. Every write returns after its
/// commit. Call <see cref="MigrateAsync"/> at start (any number of processes may do so at once) before anything else.
/// </summary>
public sealed class PostgresNeedleStore : INeedleStore
{
    private readonly PostgresDatabase database;
    private bool disposed;

    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=needle;Username=needle;Password=...</c>.</param>
    public PostgresNeedleStore(string connectionString, PostgresStoreOptions? options = null)
    {
        database = new PostgresDatabase(connectionString, options ?? new PostgresStoreOptions());
        Reports = new PostgresReportStore(database);
        Jobs = new PostgresJobQueue(database);
        Lists = new PostgresListStore(database);
        Keys = new PostgresApiKeyStore(database);
        Audit = new PostgresAuditLog(database);
        Triage = new PostgresTriageStore(database);
        Settings = new PostgresSettingsStore(database);
    }

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
    /// <exception cref="NewerSchemaException">The database was migrated by a newer Needle.</exception>
    public Task MigrateAsync(CancellationToken cancellationToken = default) =>
        Migrations.MigrateAsync(database.DataSource, database.DatabaseName, cancellationToken);

    /// <summary>True when the database answers and its schema is the one this build expects.</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await database.ReadAsync(
                async (connection, transaction, ct) =>
                    await Migrations.ReadVersionAsync(connection, transaction, ct).ConfigureAwait(false) == Migrations.LatestVersion
                    && await connection.Command(transaction, "SELECT COUNT(*) FROM (SELECT 1 FROM reports LIMIT 1) AS any_report;").ScalarAsync(ct).ConfigureAwait(false) is not null,
                cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        await database.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PostgreSQL {database.Host}/{database.DatabaseName} (schema {Migrations.LatestVersion})");
}
