namespace Needle.Core.Reports;

/// <summary>Filters and paging for listing reports (newest first; keyset paging on (ReceivedAt, Id)).</summary>
public sealed record ReportQuery
{
    public ReportStatus? Status { get; init; }

    public bool? Escalate { get; init; }

    /// <summary>Only reports with at least one file matching this list.</summary>
    public string? ListName { get; init; }

    /// <summary>Only reports routed to this queue (exact, case-sensitive).</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>Only reports whose decided country is this ISO 3166-1 alpha-2 code (case-insensitive).</summary>
    public string? Country { get; init; }

    public DateTimeOffset? ReceivedFrom { get; init; }

    public DateTimeOffset? ReceivedTo { get; init; }

    /// <summary>Opaque cursor from the previous page.</summary>
    public string? After { get; init; }

    public int Limit { get; init; } = 50;
}
