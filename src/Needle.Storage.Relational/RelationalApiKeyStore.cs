using System.Globalization;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>API keys (the salted hash of each secret, never the key), each change audited in its own transaction.</summary>
internal sealed class RelationalApiKeyStore(RelationalDatabase database) : IApiKeyStore
{
    private const string Columns = "id, name, role, salt, secret_hash, created_at, expires_at, revoked_at";

    public Task CreateAsync(ApiKeyRecord key, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await database.Dialect
                    .Command(connection, transaction, $"INSERT INTO api_keys ({Columns}) VALUES (@id, @name, @role, @salt, @hash, @created, @expires, @revoked);")
                    .With("@id", key.Id)
                    .With("@name", key.Name)
                    .With("@role", key.Role.ToString())
                    .With("@salt", key.Salt)
                    .With("@hash", key.SecretHash)
                    .With("@created", key.CreatedAt)
                    .With("@expires", key.ExpiresAt)
                    .With("@revoked", key.RevokedAt)
                    .RunAsync(ct)
                    .ConfigureAwait(false);

                // The audit entry commits with the key, or neither does.
                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task<ApiKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => database.Dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM api_keys WHERE id = @id;")
                .With("@id", id)
                .FirstOrDefaultAsync(StoredRows.ReadKey, ct),
            cancellationToken);

    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<ApiKeyRecord>>(
            async (connection, transaction, ct) => await database.Dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM api_keys ORDER BY created_at, id;")
                .ListAsync(StoredRows.ReadKey, ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> RevokeAsync(Guid id, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var revoked = await database.Dialect
                    .Command(connection, transaction, "UPDATE api_keys SET revoked_at = @at WHERE id = @id AND revoked_at IS NULL;")
                    .With("@id", id)
                    .With("@at", at)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (revoked)
                {
                    await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                }

                return revoked;
            },
            cancellationToken);
    }

    public Task<int> CountAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => Convert.ToInt32(
                await connection.Command(transaction, "SELECT COUNT(*) FROM api_keys;").ScalarAsync(ct).ConfigureAwait(false),
                CultureInfo.InvariantCulture),
            cancellationToken);
}
