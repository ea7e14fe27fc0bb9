namespace Needle.Core.Reports;

/// <summary>One row of a report listing.</summary>
/// <param name="Id">The report's id.</param>
/// <param name="ExternalId">The submitter's own id for the report, if any.</param>
/// <param name="Status">Received or processed.</param>
/// <param name="ReceivedAt">When the report was received.</param>
/// <param name="ProcessedAt">When every file was processed; null before.</param>
/// <param name="Escalate">The reporter believes a child may be in imminent danger.</param>
/// <param name="FileCount">Number of files in the report.</param>
/// <param name="MatchedFileCount">Files with a match on a known list (allow lists not counted); set when processed.</param>
public sealed record ReportSummary(
    Guid Id,
    string? ExternalId,
    ReportStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessedAt,
    bool Escalate,
    int FileCount,
    int MatchedFileCount)
{
    /// <summary>The queue the report was routed to, once processed.</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>The country decided for the report, when a clue placed it.</summary>
    public string? JurisdictionCountry { get; init; }
}
