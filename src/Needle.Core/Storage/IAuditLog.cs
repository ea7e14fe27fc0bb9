using Needle.Core.Audit;

namespace Needle.Core.Storage;

/// <summary>The append-only audit log.</summary>
public interface IAuditLog
{
    /// <summary>Appends an entry chained to the last one (serialised: concurrent appends never fork the chain).</summary>
    Task<AuditEntry> AppendAsync(AuditEntryDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Entries with Sequence &gt; <paramref name="afterSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);
}
