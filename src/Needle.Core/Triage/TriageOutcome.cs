using Needle.Core.Jobs;

namespace Needle.Core.Triage;

/// <summary>
/// Everything a triage job computed for one report, stored in one transaction with the job's completion: its link keys
/// (replacing the earlier ones), its links (added to those already stored; never duplicated), the decisions applied
/// automatically, its score and review state, and the other reports whose score must be computed again.
/// </summary>
public sealed record TriageOutcome
{
    /// <summary>The report triaged.</summary>
    public required Guid ReportId { get; init; }

    /// <summary>The report's link keys, replacing those stored before.</summary>
    public required IReadOnlyList<LinkKey> Keys { get; init; }

    /// <summary>Links to other reports, added to those already stored (as cluster memberships: never duplicated).</summary>
    public required IReadOnlyList<ReportLink> Links { get; init; }

    /// <summary>Decisions applied without an analyst (same hash as a file already decided).</summary>
    public required IReadOnlyList<NewDecision> AutomaticDecisions { get; init; }

    /// <summary>The report's new score and review state.</summary>
    public required PriorityScore Score { get; init; }

    /// <summary>Reports to enqueue a <see cref="JobKinds.ScoreReport"/> job for (one pending job per report at most).</summary>
    public IReadOnlyList<Guid> RescoreReports { get; init; } = [];
}
