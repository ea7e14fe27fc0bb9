namespace Needle.Core.Storage;

/// <summary>Everything the server needs from a database, so a backend is one object to register.</summary>
public interface INeedleStore : IAsyncDisposable
{
    IReportStore Reports { get; }

    IJobQueue Jobs { get; }

    IListStore Lists { get; }

    IApiKeyStore Keys { get; }

    IAuditLog Audit { get; }

    ITriageStore Triage { get; }

    ISettingsStore Settings { get; }

    /// <summary>Creates or upgrades the schema (versioned migrations); safe to call at every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the database is reachable and consistent (for /readyz).</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}
