using Needle.Core.Paging;

namespace Needle.Core.Triage;

/// <summary>Filters, order and paging for the review queue (by default highest score first, then oldest first).</summary>
public sealed record QueueQuery
{
    /// <summary>Default: reports awaiting review.</summary>
    public ReviewState State { get; init; } = ReviewState.AwaitingReview;

    /// <summary>Only reports routed to this jurisdiction queue (exact).</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>Only reports placed in this country (ISO 3166-1 alpha-2, case-insensitive).</summary>
    public string? Country { get; init; }

    /// <summary>Only reports with a file matching this list.</summary>
    public string? ListName { get; init; }

    /// <summary>Only reports whose reporter organisation is this (case-insensitive).</summary>
    public string? Reporter { get; init; }

    /// <summary>Leave out reports claimed by someone other than <see cref="Viewer"/> (claims not yet expired).</summary>
    public bool ExcludeClaimedByOthers { get; init; }

    /// <summary>Who is asking (for <see cref="ExcludeClaimedByOthers"/>).</summary>
    public string? Viewer { get; init; }

    /// <summary>The order of the whole queue (every page follows it); a cursor belongs to the order it was made for.</summary>
    public QueueOrder Order { get; init; } = QueueOrder.Score;

    /// <summary>Opaque cursor from the previous page (<see cref="QueueCursor"/>).</summary>
    public string? After { get; init; }

    /// <summary>Page size; default 50, clamped by the stores to 1..500.</summary>
    public int Limit { get; init; } = 50;
}
