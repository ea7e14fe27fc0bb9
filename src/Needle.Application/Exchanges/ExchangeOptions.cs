namespace Needle.Application.Exchanges;

/// <summary>How exchanges are fetched.</summary>
public sealed record ExchangeOptions
{
    /// <summary>Who holds a fetch's lease (this process: host/pid/0), so a restarted process can free the leases of a dead one.</summary>
    public string Holder { get; init; } = "needle";

    /// <summary>How long a fetch holds an exchange between renewals (renewed after every page).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Records asked for per page.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Pages one fetch applies at most; the next fetch goes on from the checkpoint (no fetch runs forever).</summary>
    public int MaxPagesPerFetch { get; init; } = 10_000;

    /// <summary>Retries of a failed request (a 5xx, a 429, a network error) before the fetch fails.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first retry's delay; doubled (with jitter) for each next one, unless the provider says Retry-After.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>One request's time limit.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a feedback the provider could not take (after the in-call retries) waits before its next attempt; doubled each time, up to 6 hours.</summary>
    public TimeSpan FeedbackRetryDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts at one feedback before it is recorded as failed.</summary>
    public int FeedbackMaxAttempts { get; init; } = 30;

    /// <summary>The largest response accepted, in bytes.</summary>
    public long MaxResponseBytes { get; init; } = 64L << 20;
}
