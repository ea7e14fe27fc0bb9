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
}
