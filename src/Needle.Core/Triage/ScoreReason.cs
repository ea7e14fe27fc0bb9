namespace Needle.Core.Triage;

/// <summary>One reason a report got its priority, and what it added (negative lowers the priority).</summary>
/// <param name="Code">Stable machine name, e.g. "escalated", "unknown-media", "gps-location".</param>
/// <param name="Text">What a person reads, e.g. "2 files match nothing known (possibly new material)".</param>
/// <param name="Weight">Points added to the score.</param>
public sealed record ScoreReason(string Code, string Text, double Weight)
{
    /// <summary>
    /// How many files the reason counts, for reasons about a kind of file ("unknown-media", "unassessable"); null for
    /// the others and for scores stored before the count was kept.
    /// </summary>
    public int? Files { get; init; }
}
