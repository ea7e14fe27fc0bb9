namespace Needle.Core.Cases;

/// <summary>How a report's case ended (the referral / informational split hotlines use, and closing).</summary>
public enum OutcomeKind
{
    /// <summary>Referred to a named agency or queue (law enforcement, another hotline, a platform).</summary>
    Referral = 0,

    /// <summary>Kept as information only: nothing to refer.</summary>
    Informational = 1,

    /// <summary>Closed without a referral (e.g. not illegal, duplicate, out of scope).</summary>
    Closed = 2,
}
