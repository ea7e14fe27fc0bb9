namespace Needle.Core.Exchanges;

/// <summary>A feedback as stored, with its exchange and its sending state.</summary>
/// <param name="Id">The feedback's id (its order in the queue).</param>
/// <param name="Exchange">The exchange's name.</param>
/// <param name="Kind">The exchange's kind.</param>
/// <param name="Feedback">What was queued.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Attempts">How many times a sender took it.</param>
/// <param name="NextAttemptAt">When it is (or was) next due.</param>
/// <param name="Error">Why it failed for good, or why the last attempt did; null when none failed.</param>
/// <param name="SentAt">When the provider acknowledged it.</param>
public sealed record StoredExchangeFeedback(
    long Id, string Exchange, string Kind, NewExchangeFeedback Feedback, FeedbackState State, int Attempts, DateTimeOffset NextAttemptAt, string? Error, DateTimeOffset? SentAt);
