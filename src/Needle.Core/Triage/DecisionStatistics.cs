namespace Needle.Core.Triage;

/// <summary>
/// How many files are decided, and how many of them automatically, counting each file's current decision:
/// <see cref="DecidedAutomatically"/> is <see cref="DecisionSource.SameHash"/>, <see cref="DecidedByAnalyst"/> is
/// <see cref="DecisionSource.Analyst"/> and <see cref="DecisionSource.Bundle"/> (an analyst's decision carried to copies).
/// Processed files are those hashed, unreadable or hashes-only.
/// </summary>
/// <param name="ProcessedFiles">Files hashed, unreadable or hashes-only.</param>
/// <param name="DecidedFiles">Files with a current decision.</param>
/// <param name="DecidedByAnalyst">Of those, decided by an analyst, directly or through a bundle.</param>
/// <param name="DecidedAutomatically">Of those, decided automatically by the same hash.</param>
public sealed record DecisionStatistics(long ProcessedFiles, long DecidedFiles, long DecidedByAnalyst, long DecidedAutomatically)
{
    /// <summary>Share of processed files resolved without an analyst looking (0 when none processed).</summary>
    public double AutoResolvedShare => ProcessedFiles == 0 ? 0 : (double)DecidedAutomatically / ProcessedFiles;
}
