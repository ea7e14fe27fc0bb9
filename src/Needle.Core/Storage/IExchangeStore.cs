using Needle.Core.Audit;
using Needle.Core.Exchanges;

namespace Needle.Core.Storage;

/// <summary>
/// Exchanges (providers keeping a list in step), their fetch state and the link between a provider's items and the
/// list entries they became. Every change of an exchange appends its audit entry in the same transaction. A fetch holds
/// the exchange by a lease (<see cref="TryLeaseAsync"/>), so two workers never fetch one exchange at once; what it
/// writes is conditional on still holding it.
/// </summary>
public interface IExchangeStore
{
    /// <summary>Every exchange, by name.</summary>
    Task<IReadOnlyList<StoredExchange>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The exchange named <paramref name="name"/>, or null.</summary>
    Task<StoredExchange?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The exchange with id <paramref name="id"/>, or null.</summary>
    Task<StoredExchange?> GetAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>Creates an exchange (due at once) and appends <paramref name="audit"/>; false (and no audit entry) if the name is taken.</summary>
    Task<bool> CreateAsync(StoredExchange exchange, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Replaces the settings, credentials, interval and enabled flag of the exchange with its id, and appends <paramref name="audit"/>; false when there is none.</summary>
    Task<bool> UpdateAsync(StoredExchange exchange, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Deletes an exchange and its state (the list and its entries stay) and appends <paramref name="audit"/>; false when there is none.</summary>
    Task<bool> DeleteAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The fetch state of an exchange; null when there is none.</summary>
    Task<ExchangeStatus?> GetStatusAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>The enabled exchanges due at <paramref name="now"/> (their next fetch time reached).</summary>
    Task<IReadOnlyList<Guid>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the exchange for a fetch by <paramref name="holder"/> with <paramref name="token"/> until <paramref name="until"/> when nobody holds it
    /// (or a holder's lease ran out), marks the fetch started at <paramref name="now"/> (counts reset, next fetch due
    /// one interval later); false when another fetch holds it or the exchange is gone.
    /// </summary>
    Task<bool> TryLeaseAsync(Guid id, Guid token, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// Frees at once the exchanges held by fetches whose process <paramref name="isAbandoned"/> (called with each
    /// holder) knows to be dead, instead of leaving them until their lease runs out; returns how many.
    /// </summary>
    Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease still held; false if it was lost.</summary>
    Task<bool> RenewAsync(Guid id, Guid token, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a batch to the exchange's list in one transaction, only if <paramref name="token"/> still holds the
    /// exchange: each item's entries replace those the exchange stored for its key (unchanged entries stay as they are,
    /// a tombstone removes them), the list change log gets its rows (so every node applies them without a rebuild),
    /// <paramref name="audit"/> is appended when anything changed, the checkpoint moves to the batch's and the counts
    /// grow. A crash before commit leaves nothing of it; after, all of it.
    /// </summary>
    /// <exception cref="ExchangeLostException">The lease is no longer held (nothing written).</exception>
    /// <exception cref="KeyNotFoundException">The exchange's list does not exist (nothing written).</exception>
    Task<ExchangeBatchResult> ApplyAsync(Guid id, Guid token, ExchangeBatch batch, Func<ExchangeBatchResult, AuditEntryDraft> audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a fetch: records its outcome (<paramref name="failure"/> null for success, <paramref name="notice"/> kept
    /// either way) and gives the lease back; false when the lease was already lost.
    /// </summary>
    Task<bool> FinishAsync(Guid id, Guid token, DateTimeOffset now, string? failure, string? notice, CancellationToken cancellationToken = default);

    /// <summary>Sets the checkpoint back (null: fetch everything again) while holding the lease; false when it was lost.</summary>
    Task<bool> ResetCheckpointAsync(Guid id, Guid token, string? checkpoint, CancellationToken cancellationToken = default);

    /// <summary>Asks that the next fetch of the exchange start from the beginning (see <see cref="StartFullFetchAsync"/>); false when there is none.</summary>
    Task<bool> RequestFullFetchAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a full fetch while holding the lease: the checkpoint goes back to the start, the request (if any) is
    /// cleared, and a new sweep generation begins, so every item the fetch delivers from now on is marked seen by it;
    /// false when the lease was lost. Persisted: a fetch resumed after a crash goes on marking the same generation.
    /// </summary>
    Task<bool> StartFullFetchAsync(Guid id, Guid token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a full fetch that reached the provider's end: in one transaction (under the lease), removes the
    /// exchange's items the fetch did not deliver and their list entries (through the change log, with
    /// <paramref name="audit"/> when any go) and ends the full fetch. Does nothing (0 removed) when no full fetch is
    /// under way.
    /// </summary>
    /// <exception cref="Needle.Core.Exchanges.ExchangeLostException">The lease was lost; nothing was removed.</exception>
    Task<ExchangeBatchResult> SweepAsync(Guid id, Guid token, Func<ExchangeBatchResult, AuditEntryDraft> audit, CancellationToken cancellationToken = default);
}
