namespace Needle.Core.Triage;

/// <summary>A report's priority: the sum of its reasons' weights, highest first in the queue.</summary>
/// <param name="Value">The score: the sum of the reasons' weights.</param>
/// <param name="Reasons">Why, one reason per rule that applied.</param>
/// <param name="State">The review state decided with the score.</param>
/// <param name="ComputedAt">When the score was computed.</param>
public sealed record PriorityScore(double Value, IReadOnlyList<ScoreReason> Reasons, ReviewState State, DateTimeOffset ComputedAt);
