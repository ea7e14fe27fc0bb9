namespace Needle.Core.Triage;

/// <summary>A report's priority: the sum of its reasons' weights, highest first in the queue.</summary>
public sealed record PriorityScore(double Value, IReadOnlyList<ScoreReason> Reasons, ReviewState State, DateTimeOffset ComputedAt);
