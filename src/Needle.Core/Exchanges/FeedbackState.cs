namespace Needle.Core.Exchanges;

/// <summary>Where one feedback to a provider stands.</summary>
public enum FeedbackState
{
    /// <summary>Waiting to be sent (or to be sent again after a transient failure, at its next attempt time).</summary>
    Queued = 0,

    /// <summary>A sender holds it now (leased); back to queued if its lease runs out.</summary>
    Sending = 1,

    /// <summary>The provider acknowledged it; never sent again.</summary>
    Sent = 2,

    /// <summary>The provider refused it (a 4xx other than 429) or it could not be built; the error says why. Not retried.</summary>
    Failed = 3,

    /// <summary>Replaced before it was sent by a later, opposite verdict on the same item.</summary>
    Cancelled = 4,
}
