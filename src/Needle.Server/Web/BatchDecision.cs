using Needle.Core.Triage;

namespace Needle.Server.Web;

/// <summary>What one batch of decisions on the report page stored, and the sentence the reviewer reads.</summary>
internal sealed record BatchDecision(IReadOnlyList<BatchDecision.Decided> Files, IReadOnlyList<string> Skipped, string Sentence)
{
    /// <summary>One file decided: its pending decision (undoable until <paramref name="SpreadAt"/>).</summary>
    internal sealed record Decided(Guid FileId, int Ordinal, long DecisionId, DecisionCategory Category, DateTimeOffset SpreadAt);
}
