namespace Needle.Core.Triage;

/// <summary>A decision to store (its id, revision link and report are filled in by the store).</summary>
public sealed record NewDecision
{
    /// <summary>The file decided.</summary>
    public required Guid FileId { get; init; }

    /// <summary>What the file shows.</summary>
    public required DecisionCategory Category { get; init; }

    /// <summary>The analyst's free-text note, if any.</summary>
    public string? Note { get; init; }

    /// <summary>Who made it: an analyst, the same hash, or a bundle.</summary>
    public required DecisionSource Source { get; init; }

    /// <summary>The API key id (or "system") that decided.</summary>
    public required string Actor { get; init; }

    /// <summary>When it was made.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>For <see cref="DecisionSource.SameHash"/> and <see cref="DecisionSource.Bundle"/>: the analyst decision applied.</summary>
    public long? BasedOn { get; init; }

    /// <summary>The file that decision was on.</summary>
    public Guid? BasedOnFileId { get; init; }

    /// <summary>Why it applies here: "sha256", "md5", "pdq" (identical PDQ), or "bundle:pdq=12" and the like.</summary>
    public string? BasedOnReason { get; init; }
}
