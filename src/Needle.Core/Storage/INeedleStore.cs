namespace Needle.Core.Storage;

/// <summary>Everything the server needs from a database, so a backend is one object to register.</summary>
public interface INeedleStore : IAsyncDisposable
{
    /// <summary>Reports, their files and encrypted media.</summary>
    IReportStore Reports { get; }

    /// <summary>The durable job queue (processing, triage and score jobs).</summary>
    IJobQueue Jobs { get; }

    /// <summary>Hash lists, their entries and the list change log.</summary>
    IListStore Lists { get; }

    /// <summary>API keys (salted hashes of their secrets, never the keys).</summary>
    IApiKeyStore Keys { get; }

    /// <summary>The append-only, hash-chained audit log.</summary>
    IAuditLog Audit { get; }

    /// <summary>Links, decisions, scores, claims and the review queue.</summary>
    ITriageStore Triage { get; }

    /// <summary>Case work: report notes, assignments, outcomes, and imports from another server.</summary>
    ICaseStore Cases { get; }

    /// <summary>Organisation defaults and per-person preferences.</summary>
    ISettingsStore Settings { get; }

    /// <summary>Exchanges keeping lists in step with providers, and their fetch state.</summary>
    IExchangeStore Exchanges { get; }

    /// <summary>The durable queue of feedback to exchange providers.</summary>
    IExchangeFeedbackStore ExchangeFeedback { get; }

    /// <summary>Creates or upgrades the schema (versioned migrations); safe to call at every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the database is reachable and consistent (for /readyz).</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}
