namespace Needle.Application.Exchanges;

/// <summary>What one feedback call came to.</summary>
/// <param name="Sent">The provider acknowledged it (a 2xx).</param>
/// <param name="Retry">Worth another try later (a 5xx, a 408, a 429 or a network failure, after the in-call retries).</param>
/// <param name="Error">What the provider answered when it was not acknowledged (credentials blanked).</param>
/// <param name="RetryAfter">How long the provider asked to wait, if it said.</param>
/// <param name="Body">The acknowledgement's body.</param>
internal readonly record struct FeedbackOutcome(bool Sent, bool Retry, string? Error, TimeSpan? RetryAfter, string? Body);
