using Needle.Core.Reports;

namespace Needle.Core.Triage;

/// <summary>One row of the review queue.</summary>
public sealed record QueueItem
{
    public required ReportSummary Report { get; init; }

    public required PriorityScore Score { get; init; }

    public string? ReporterOrganisation { get; init; }

    /// <summary>Files still without a decision.</summary>
    public int UndecidedFileCount { get; init; }

    /// <summary>The current claim, if one has not expired.</summary>
    public ReportClaim? Claim { get; init; }
}
