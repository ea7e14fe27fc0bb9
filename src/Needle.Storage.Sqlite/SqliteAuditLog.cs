using Microsoft.Data.Sqlite;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>The audit log. Appends read the last entry and insert the next one in the same write transaction, so the chain never forks.</summary>
internal sealed class SqliteAuditLog(SqliteDatabase database) : IAuditLog
{
    private const string Columns = "sequence, at, actor, action, target, details, remote_address, previous_hash, hash";

    public Task<AuditEntry> AppendAsync(AuditEntryDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        return database.WriteAsync((connection, transaction, ct) => AppendAsync(connection, transaction, draft, database.Time.GetUtcNow(), ct), cancellationToken);
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

    /// <summary>Chains <paramref name="draft"/> to the last entry and inserts it, inside the caller's write transaction.</summary>
    internal static async Task<AuditEntry> AppendAsync(SqliteConnection connection, SqliteTransaction transaction, AuditEntryDraft draft, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var last = await connection
            .Command(transaction, $"SELECT {Columns} FROM audit ORDER BY sequence DESC LIMIT 1;")
            .FirstOrDefaultAsync(StoredRows.ReadAuditEntry, cancellationToken)
            .ConfigureAwait(false);
        var entry = AuditChain.Chain(last, draft, at);
        await connection
            .Command(transaction, $"INSERT INTO audit ({Columns}) VALUES (@sequence, @at, @actor, @action, @target, @details, @remote, @previous, @hash);")
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
