using Needle.Core.Audit;

namespace Needle.Core.Storage;

/// <summary>
/// Settings documents, one per scope: the organisation's defaults and each person's preferences. Every replacement
/// appends its audit entry in the same transaction.
/// </summary>
public interface ISettingsStore
{
    /// <summary>A settings document (JSON) for a scope: "org" for the organisation's defaults, "user:{key id}" for one person's preferences; null when never set.</summary>
    Task<string?> GetSettingsAsync(string scope, CancellationToken cancellationToken = default);

    /// <summary>Replaces a scope's settings document and appends <paramref name="audit"/>, in one transaction.</summary>
    Task SetSettingsAsync(string scope, string json, AuditEntryDraft audit, CancellationToken cancellationToken = default);
}
