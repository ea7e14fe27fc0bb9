namespace Needle.Core.Reports;

/// <summary>Filters and paging for listing reports (newest first; keyset paging on (ReceivedAt, Id)).</summary>
public sealed record ReportQuery
{
    /// <summary>Only reports in this status; null for all.</summary>
    public ReportStatus? Status { get; init; }

    /// <summary>Only reports whose reporter did (true) or did not (false) ask for escalation; null for all.</summary>
    public bool? Escalate { get; init; }

    /// <summary>Only reports with at least one file matching this list.</summary>
    public string? ListName { get; init; }

    /// <summary>Only reports routed to this queue (exact, case-sensitive).</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>Only reports whose decided country is this ISO 3166-1 alpha-2 code (case-insensitive).</summary>
    public string? Country { get; init; }

    /// <summary>Only reports received at or after this time.</summary>
    public DateTimeOffset? ReceivedFrom { get; init; }

    /// <summary>Only reports received before this time (exclusive).</summary>
    public DateTimeOffset? ReceivedTo { get; init; }

    /// <summary>Opaque cursor from the previous page.</summary>
    public string? After { get; init; }

    /// <summary>Page size; default 50, clamped by the stores to 1..500.</summary>
    public int Limit { get; init; } = 50;
}
