using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>Settings documents, one per scope, kept as given; each replacement audited in its own transaction.</summary>
internal sealed class RelationalSettingsStore(RelationalDatabase database) : ISettingsStore
{
    public Task<string?> GetSettingsAsync(string scope, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        return database.ReadAsync(
            async (connection, transaction, ct) => (string?)await database.Dialect
                .Command(connection, transaction, "SELECT json FROM settings WHERE scope = @scope;")
                .With("@scope", scope)
                .ScalarAsync(ct)
                .ConfigureAwait(false),
            cancellationToken);
    }

    public Task SetSettingsAsync(string scope, string json, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await database.Dialect
                    .Command(connection, transaction, """
                        INSERT INTO settings (scope, json, updated_at) VALUES (@scope, @json, @now)
                        ON CONFLICT (scope) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at;
                        """)
                    .With("@scope", scope)
                    .With("@json", json)
                    .With("@now", database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }
}
