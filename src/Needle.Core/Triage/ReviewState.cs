namespace Needle.Core.Triage;

/// <summary>Where a report stands in review.</summary>
public enum ReviewState
{
    /// <summary>Not triaged yet (still being processed, or its triage job has not run).</summary>
    Untriaged = 0,

    /// <summary>In the queue: at least one file has no decision (or one needs escalation).</summary>
    AwaitingReview = 1,

    /// <summary>Every file has a decision and at least one came from an analyst (directly or through a bundle).</summary>
    Reviewed = 2,

    /// <summary>
    /// Closed automatically: known material only, every file already decided elsewhere (same hash). Hotlines pass
    /// these on as "informational" rather than as referrals.
    /// </summary>
    Informational = 3,
}
