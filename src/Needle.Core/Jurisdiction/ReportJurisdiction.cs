namespace Needle.Core.Jurisdiction;

/// <summary>A report's jurisdiction: the decision, how it was made, and every clue considered.</summary>
public sealed record ReportJurisdiction
{
    /// <summary>The country decided; null when no clue placed the report.</summary>
    public string? Country { get; init; }

    /// <summary>The ISO 3166-2 region decided, when the deciding clues name one in <see cref="Country"/>.</summary>
    public string? Region { get; init; }

    /// <summary>The review queue the report is routed to.</summary>
    public required string Queue { get; init; }

    /// <summary>The agency of that queue; null when the rule names none.</summary>
    public string? Agency { get; init; }

    /// <summary>Which kind of clue decided: <c>gps</c>, <c>ip-upload</c>, <c>ip</c>, or <c>none</c>.</summary>
    public required string Basis { get; init; }

    /// <summary>The rule that routed it: its region or country code, or <c>default</c>.</summary>
    public required string Rule { get; init; }

    /// <summary>Countries other clues point to (sorted), when they disagree with the decision.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];

    /// <summary>Every location clue of the report, GPS first (file order), then IP events (submission order).</summary>
    public IReadOnlyList<JurisdictionEvidence> Evidence { get; init; } = [];
}
