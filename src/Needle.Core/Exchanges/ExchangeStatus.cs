namespace Needle.Core.Exchanges;

/// <summary>Where an exchange's fetching stands.</summary>
public sealed record ExchangeStatus
{
    /// <summary>When the last fetch started; null before the first.</summary>
    public DateTimeOffset? LastFetch { get; init; }

    /// <summary>When a fetch last reached the provider's end; null before the first.</summary>
    public DateTimeOffset? LastSuccess { get; init; }

    /// <summary>The provider's position applied so far (its meaning is the kind's); null before anything was applied.</summary>
    public string? Checkpoint { get; init; }

    /// <summary>When the checkpoint was last moved.</summary>
    public DateTimeOffset? CheckpointAt { get; init; }

    /// <summary>Whether the last fetch ended without an error; null while none has ended.</summary>
    public bool? Success { get; init; }

    /// <summary>Why the last fetch failed; null when it did not.</summary>
    public string? Error { get; init; }

    /// <summary>What the last fetch wants an admin to know without failing (a stale checkpoint, so a full re-fetch).</summary>
    public string? Notice { get; init; }

    /// <summary>Entries added by the last fetch (so far, while it runs).</summary>
    public long Added { get; init; }

    /// <summary>Entries removed by the last fetch (so far, while it runs).</summary>
    public long Removed { get; init; }

    /// <summary>The list entries the exchange holds now (what the provider has delivered and not removed).</summary>
    public long Entries { get; init; }

    /// <summary>Whether a fetch holds the exchange now.</summary>
    public bool Running { get; init; }

    /// <summary>
    /// Whether a fetch from the start (a stale checkpoint or an admin's full re-fetch) is under way: once it completes,
    /// the exchange's entries it did not deliver again are removed (a failed or interrupted one removes nothing and
    /// goes on from its checkpoint).
    /// </summary>
    public bool FullFetch { get; init; }

    /// <summary>Whether an admin asked for a full re-fetch that has not started yet.</summary>
    public bool FullFetchRequested { get; init; }

    /// <summary>When the exchange is next due on its schedule.</summary>
    public DateTimeOffset? NextFetch { get; init; }
}
