using Needle.Core.Audit;
using Needle.Core.Storage;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>
/// The audit log. An append takes a transaction-level advisory lock, reads the last entry and inserts the next one in
/// the caller's transaction; the lock is held until that transaction ends, so concurrent appends (from any process)
/// queue up and the chain never forks.
/// </summary>
internal sealed class PostgresAuditLog(PostgresDatabase database) : IAuditLog
{
    private const string Columns = "sequence, at, actor, action, target, details, remote_address, previous_hash, hash";

    public Task<AuditEntry> AppendAsync(AuditEntryDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return database.WriteAsync((connection, transaction, ct) => AppendAsync(connection, transaction, draft, database.Time, ct), cancellationToken);
    }

    public Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.ReadAsync<IReadOnlyList<AuditEntry>>(
            async (connection, transaction, ct) => await connection
                .Command(transaction, $"SELECT {Columns} FROM audit WHERE sequence > @after ORDER BY sequence LIMIT @limit;")
                .With("@after", afterSequence)
                .With("@limit", limit)
                .ListAsync(StoredRows.ReadAuditEntry, ct)
                .ConfigureAwait(false),
            cancellationToken);
    }

    /// <summary>Chains <paramref name="draft"/> to the last entry and inserts it, inside the caller's (READ COMMITTED) transaction.</summary>
    internal static async Task<AuditEntry> AppendAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntryDraft draft, TimeProvider time, CancellationToken cancellationToken)
    {
        // Held until the transaction commits or rolls back. The next statement takes a fresh snapshot (READ COMMITTED),
        // so it sees the entry of whoever held the lock before.
        await connection.Command(transaction, "SELECT pg_advisory_xact_lock(@key);").With("@key", Migrations.AuditLockKey).RunAsync(cancellationToken).ConfigureAwait(false);
        var last = await connection
            .Command(transaction, $"SELECT {Columns} FROM audit ORDER BY sequence DESC LIMIT 1;")
            .FirstOrDefaultAsync(StoredRows.ReadAuditEntry, cancellationToken)
            .ConfigureAwait(false);

        // The time is read under the lock, so entries are in time order too.
        var entry = AuditChain.Chain(last, draft, time.GetUtcNow());
        await connection
            .Command(transaction, $"INSERT INTO audit ({Columns}) VALUES (@sequence, @at, @actor, @action, @target, @details, @remote, @previous, @hash);")
            .With("@sequence", entry.Sequence)
            .With("@at", entry.At)
            .With("@actor", entry.Actor)
            .With("@action", entry.Action)
            .With("@target", entry.Target)
            .With("@details", NpgsqlTypes.NpgsqlDbType.Text, entry.Details)
            .With("@remote", NpgsqlTypes.NpgsqlDbType.Text, entry.RemoteAddress)
            .With("@previous", entry.PreviousHash)
            .With("@hash", entry.Hash)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return entry;
    }

}
