using Needle.Core.Reports;

namespace Needle.Core.Triage;

/// <summary>One row of the review queue.</summary>
public sealed record QueueItem
{
    /// <summary>The report.</summary>
    public required ReportSummary Report { get; init; }

    /// <summary>Its current priority score and review state.</summary>
    public required PriorityScore Score { get; init; }

    /// <summary>The reporter's organisation as submitted; null when not given.</summary>
    public string? ReporterOrganisation { get; init; }

    /// <summary>Files still without a decision.</summary>
    public int UndecidedFileCount { get; init; }

    /// <summary>The reviewer the report is assigned to (an API key id), if any.</summary>
    public string? AssignedTo { get; init; }

    /// <summary>The current claim, if one has not expired.</summary>
    public ReportClaim? Claim { get; init; }

    /// <summary>
    /// Files that match nothing known and can be assessed (possibly new material), as the score counted them (its
    /// "unknown-media" reason). A score stored before reasons kept their counts falls back to files minus matched.
    /// </summary>
    public int UnknownFileCount => Reason("unknown-media") is { } unknown ? unknown.Files ?? Math.Max(0, Report.FileCount - Report.MatchedFileCount) : 0;

    /// <summary>Files nobody can assess (hashes only, undecodable, PDQ quality too low), as the score counted them (its "unassessable" reason).</summary>
    public int UnassessableFileCount => Reason("unassessable")?.Files ?? 0;

    private ScoreReason? Reason(string code)
    {
        foreach (var reason in Score.Reasons)
        {
            if (reason.Code == code)
            {
                return reason;
            }
        }

        return null;
    }
}
