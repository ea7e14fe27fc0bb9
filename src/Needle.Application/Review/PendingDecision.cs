using Needle.Core.Triage;

namespace Needle.Application.Review;

/// <summary>A decision still inside its undo window: stored on its file, not yet spread to copies.</summary>
/// <param name="DecisionId">The stored decision.</param>
/// <param name="FileId">The file it decides.</param>
/// <param name="ReportId">The file's report.</param>
/// <param name="Actor">Who decided (only they can undo it).</param>
/// <param name="Category">What was decided.</param>
/// <param name="SpreadAt">When the undo window ends and the decision spreads.</param>
public sealed record PendingDecision(long DecisionId, Guid FileId, Guid ReportId, string Actor, DecisionCategory Category, DateTimeOffset SpreadAt);
