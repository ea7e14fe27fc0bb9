using Needle.Core.Audit;
using Needle.Core.Exchanges;

namespace Needle.Core.Storage;

/// <summary>
/// The durable queue of feedback to exchange providers. Queuing appends its audit entry and a send job in the same
/// transaction; a sender takes one feedback at a time under a lease (two senders never hold the same one), and only the
/// holder of a live lease can record its outcome, so a feedback acknowledged is never sent again.
/// </summary>
public interface IExchangeFeedbackStore
{
    /// <summary>The provider's item key that the exchange's list entry <paramref name="entryId"/> came from; null when it did not come from this exchange.</summary>
    Task<string?> FindItemAsync(Guid exchangeId, int entryId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues <paramref name="feedback"/> unless the latest feedback on the same item already gives its verdict (queued,
    /// sending or sent): then nothing is written and the existing one is returned. A queued feedback of the opposite
    /// verdict on the item is cancelled (the provider hears only the latest). The audit entry made by
    /// <paramref name="audit"/> from the queued feedback and a <see cref="Needle.Core.Jobs.JobKinds.SendExchangeFeedback"/>
    /// job are written with it.
    /// </summary>
    /// <returns>The feedback queued (<c>Queued</c> true) or the one that already said it (false).</returns>
    Task<(StoredExchangeFeedback Feedback, bool Queued)> QueueAsync(NewExchangeFeedback feedback, Func<StoredExchangeFeedback, AuditEntryDraft> audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the oldest feedback due at <paramref name="now"/> (queued and its next attempt reached, or held by a sender
    /// whose lease ran out) for <paramref name="holder"/> with <paramref name="token"/> until <paramref name="until"/>,
    /// counting the attempt; null when none is due.
    /// </summary>
    Task<StoredExchangeFeedback?> TryLeaseAsync(Guid token, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>Records the provider's acknowledgement (state sent) with its audit entry, if <paramref name="token"/> still holds the feedback; false otherwise (nothing written).</summary>
    Task<bool> AcknowledgeAsync(long id, Guid token, DateTimeOffset now, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Gives the feedback back to the queue, due again at <paramref name="nextAttempt"/>, with why this attempt failed (<paramref name="reason"/>); false when the lease was lost.</summary>
    Task<bool> RetryAsync(long id, Guid token, DateTimeOffset nextAttempt, string reason, CancellationToken cancellationToken = default);

    /// <summary>Records that the feedback failed for good (state failed) with the reason and its audit entry; false when the lease was lost.</summary>
    Task<bool> FailAsync(long id, Guid token, string reason, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>When the next feedback is due (a queued one's next attempt, or a lease that runs out); null when nothing waits.</summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default);

    /// <summary>Every feedback given on the entries <paramref name="entries"/> (list name and entry id), oldest first.</summary>
    Task<IReadOnlyList<StoredExchangeFeedback>> ForEntriesAsync(IReadOnlyList<(string List, int EntryId)> entries, CancellationToken cancellationToken = default);

    /// <summary>Every feedback queued for the exchange <paramref name="exchangeId"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredExchangeFeedback>> ForExchangeAsync(Guid exchangeId, int limit, CancellationToken cancellationToken = default);
}
