using Needle.Core.Access;
using Needle.Core.Audit;

namespace Needle.Core.Storage;

/// <summary>API keys. Creating and revoking also append the audit entry in the same transaction, only when something changed.</summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key and appends <paramref name="audit"/>; throws (writing nothing) if the id exists.</summary>
    Task CreateAsync(ApiKeyRecord key, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The key with this id (revoked and expired ones too); null when there is none.</summary>
    Task<ApiKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Every key, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes a key and appends <paramref name="audit"/>; false (and no audit entry) if there is none or it was already revoked.</summary>
    Task<bool> RevokeAsync(Guid id, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>How many keys exist (revoked ones included): the server makes the first admin key only when none does.</summary>
    Task<int> CountAsync(CancellationToken cancellationToken = default);
}
