using System.Data.Common;
using System.Globalization;
using Needle.Core.Storage;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>
/// Needle's storage in a PostgreSQL database, for several servers and workers sharing it. Every write returns after its
/// commit. Call <see cref="MigrateAsync"/> at start (any number of processes may do so at once) before anything else.
/// </summary>
/// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=db;Database=needle;Username=needle;Password=...</c>.</param>
/// <param name="options">Settings; null for the defaults.</param>
public sealed class PostgresNeedleStore(string connectionString, PostgresStoreOptions? options = null)
    : RelationalNeedleStore(new PostgresDatabase(connectionString, options ?? new PostgresStoreOptions()))
{
    private PostgresDatabase Postgres => (PostgresDatabase)Database;

    /// <summary>The schema version this build creates and reads.</summary>
    public static int SchemaVersion => Migrations.LatestVersion;

    private protected override int LatestSchemaVersion => Migrations.LatestVersion;

    /// <inheritdoc/>
    /// <exception cref="NewerSchemaException">The database was migrated by a newer Needle.</exception>
    public override Task MigrateAsync(CancellationToken cancellationToken = default) =>
        Migrations.MigrateAsync(Postgres.DataSource, Postgres.DatabaseName, cancellationToken);

    /// <summary>The host, database and schema version, for logs (never the connection string).</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"PostgreSQL {Postgres.Host}/{Postgres.DatabaseName} (schema {Migrations.LatestVersion})");

    private protected override Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        Migrations.ReadVersionAsync(connection, transaction, cancellationToken);

    /// <summary>The server cannot be reached or answered with an error, or the pool timed out.</summary>
    private protected override bool IsUnavailable(Exception error) => error is NpgsqlException or TimeoutException;
}
