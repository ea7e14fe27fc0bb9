namespace Needle.Core.Exchanges;

/// <summary>What an analyst's review says about a provider's entry, as fed back to the provider.</summary>
public enum FeedbackVerdict
{
    /// <summary>The file is not what the entry lists (a false positive, or decided not pertinent): NCMEC negative, StopNCII NotBlocked, ThreatExchange NOT_HELPFUL.</summary>
    Negative = 0,

    /// <summary>The file is what the entry lists (confirmed): NCMEC affirmative, StopNCII Blocked, ThreatExchange HELPFUL.</summary>
    Affirmative = 1,
}
