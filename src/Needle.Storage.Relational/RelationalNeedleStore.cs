using System.Data.Common;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// An <see cref="INeedleStore"/> over a relational database: the stores, written once over ADO.NET. A backend derives
/// from it with its database (connections, transactions, dialect) and adds what is its own: migrations and the failures
/// that mean its database cannot be reached.
/// </summary>
public abstract class RelationalNeedleStore : INeedleStore
{
    private readonly RelationalDatabase _database;
    private bool _disposed;

    private protected RelationalNeedleStore(RelationalDatabase database)
    {
        _database = database;
        var reports = new RelationalReportStore(database);
        var jobs = new RelationalJobQueue(database);
        Reports = reports;
        Jobs = jobs;
        Cases = new RelationalCaseStore(database, reports, jobs);
        var lists = new RelationalListStore(database);
        Lists = lists;
        Exchanges = new RelationalExchangeStore(database, lists);
        ExchangeFeedback = new RelationalExchangeFeedbackStore(database);
        Keys = new RelationalApiKeyStore(database);
        Audit = new RelationalAuditLog(database);
        Triage = new RelationalTriageStore(database);
        Settings = new RelationalSettingsStore(database);
    }

    /// <summary>The backend's database: its connections, transactions and dialect.</summary>
    private protected RelationalDatabase Database => _database;

    /// <inheritdoc/>
    public IReportStore Reports { get; }

    /// <inheritdoc/>
    public IJobQueue Jobs { get; }

    /// <inheritdoc/>
    public IListStore Lists { get; }

    /// <inheritdoc/>
    public IApiKeyStore Keys { get; }

    /// <inheritdoc/>
    public IAuditLog Audit { get; }

    /// <inheritdoc/>
    public ITriageStore Triage { get; }

    /// <inheritdoc/>
    public ISettingsStore Settings { get; }

    /// <inheritdoc/>
    public ICaseStore Cases { get; }

    /// <inheritdoc/>
    public IExchangeStore Exchanges { get; }

    /// <inheritdoc/>
    public IExchangeFeedbackStore ExchangeFeedback { get; }

    /// <summary>The schema version this build creates and reads.</summary>
    private protected abstract int LatestSchemaVersion { get; }

    /// <inheritdoc/>
    /// <exception cref="NewerSchemaException">The database was migrated by a newer Needle.</exception>
    public abstract Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// True when the database answers and its schema is the one this build expects: a cheap query, for readiness (not
    /// an integrity check).
    /// </summary>
    public async Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _database.ReadAsync(
                async (connection, transaction, ct) =>
                    await ReadSchemaVersionAsync(connection, transaction, ct).ConfigureAwait(false) == LatestSchemaVersion
                    && await connection.Command(transaction, "SELECT COUNT(*) FROM (SELECT 1 FROM reports LIMIT 1) AS any_report;").ScalarAsync(ct).ConfigureAwait(false) is not null,
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (IsUnavailable(error))
        {
            return false;
        }
    }

    /// <summary>Closes the database (a second call does nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _database.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>The schema version found in the database (0 when it has none yet).</summary>
    private protected abstract Task<int> ReadSchemaVersionAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="error"/> means the database cannot be reached or read (unhealthy), not a bug.</summary>
    private protected abstract bool IsUnavailable(Exception error);
}
