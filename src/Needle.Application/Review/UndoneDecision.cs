using Needle.Core.Triage;

namespace Needle.Application.Review;

/// <summary>A decision taken back within its undo window.</summary>
/// <param name="DecisionId">The decision removed.</param>
/// <param name="FileId">Its file.</param>
/// <param name="Restored">The file's decision now current again (null: undecided again).</param>
public sealed record UndoneDecision(long DecisionId, Guid FileId, FileDecision? Restored);
