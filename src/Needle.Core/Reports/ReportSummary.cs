namespace Needle.Core.Reports;

/// <summary>One row of a report listing.</summary>
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
