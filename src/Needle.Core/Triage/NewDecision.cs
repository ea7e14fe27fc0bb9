namespace Needle.Core.Triage;

/// <summary>A decision to store (its id, revision link and report are filled in by the store).</summary>
public sealed record NewDecision
{
    public required Guid FileId { get; init; }

    public required DecisionCategory Category { get; init; }

    public string? Note { get; init; }

    public required DecisionSource Source { get; init; }

    public required string Actor { get; init; }

    public required DateTimeOffset At { get; init; }

    public long? BasedOn { get; init; }

    public Guid? BasedOnFileId { get; init; }

    public string? BasedOnReason { get; init; }
}
