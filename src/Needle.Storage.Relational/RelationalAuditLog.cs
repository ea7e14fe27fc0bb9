using System.Data.Common;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// The audit log. An append takes the audit chain lock (where writers are concurrent: held until the caller's
/// transaction ends), reads the last entry and inserts the next one in the caller's transaction, so concurrent appends
/// queue up and the chain never forks.
/// </summary>
internal sealed class RelationalAuditLog(RelationalDatabase database) : IAuditLog
{
    private const string Columns = "sequence, at, actor, action, target, details, remote_address, previous_hash, hash";

    public Task<AuditEntry> AppendAsync(AuditEntryDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return database.WriteAsync((connection, transaction, ct) => AppendAsync(database, connection, transaction, draft, ct), cancellationToken);
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.ReadAsync<IReadOnlyList<AuditEntry>>(
            async (connection, transaction, ct) => await database.Dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM audit WHERE sequence > @after ORDER BY sequence LIMIT @limit;")
                .With("@after", afterSequence)
                .With("@limit", limit)
                .ListAsync(StoredRows.ReadAuditEntry, ct)
                .ConfigureAwait(false),
            cancellationToken);
    }

    /// <summary>Chains <paramref name="draft"/> to the last entry and inserts it, inside the caller's write transaction.</summary>
    internal static async Task<AuditEntry> AppendAsync(RelationalDatabase database, DbConnection connection, DbTransaction transaction, AuditEntryDraft draft, CancellationToken cancellationToken)
    {
        var dialect = database.Dialect;

        // The next statement sees the entry of whoever held the lock before (READ COMMITTED takes a fresh snapshot).
        await dialect.LockAuditChainAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var last = await dialect
            .Command(connection, transaction, $"SELECT {Columns} FROM audit ORDER BY sequence DESC LIMIT 1;")
            .FirstOrDefaultAsync(StoredRows.ReadAuditEntry, cancellationToken)
            .ConfigureAwait(false);

        // The time is read under the lock, so entries are in time order too.
        var entry = AuditChain.Chain(last, draft, database.Time.GetUtcNow());
        await dialect
            .Command(connection, transaction, $"INSERT INTO audit ({Columns}) VALUES (@sequence, @at, @actor, @action, @target, @details, @remote, @previous, @hash);")
            .With("@sequence", entry.Sequence)
            .With("@at", entry.At)
            .With("@actor", entry.Actor)
            .With("@action", entry.Action)
            .With("@target", entry.Target)
            .With("@details", entry.Details)
            .With("@remote", entry.RemoteAddress)
            .With("@previous", entry.PreviousHash)
            .With("@hash", entry.Hash)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return entry;
    }
}
