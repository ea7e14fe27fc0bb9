namespace Needle.Core.Triage;

/// <summary>One decision on one file. A file's current decision is its latest; earlier ones stay as its history.</summary>
public sealed record FileDecision
{
    /// <summary>The decision's id, assigned by the store.</summary>
    public required long Id { get; init; }

    /// <summary>The file decided.</summary>
    public required Guid FileId { get; init; }

    /// <summary>The report the file belongs to.</summary>
    public required Guid ReportId { get; init; }

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

    /// <summary>The decision this one replaced on the same file (a revision), if any.</summary>
    public long? Revises { get; init; }

    /// <summary>For <see cref="DecisionSource.SameHash"/> and <see cref="DecisionSource.Bundle"/>: the analyst decision applied.</summary>
    public long? BasedOn { get; init; }

    /// <summary>The file that decision was on.</summary>
    public Guid? BasedOnFileId { get; init; }

    /// <summary>Why it applies here: "sha256", "md5", "pdq" (identical PDQ), or "bundle:pdq=12" and the like.</summary>
    public string? BasedOnReason { get; init; }
}
