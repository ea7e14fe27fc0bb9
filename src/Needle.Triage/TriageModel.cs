namespace Needle.Triage;

/// <summary>
/// What an analyst decided a file shows: Project VIC's categories (0-4), or that it needs escalation. The numbers are
/// Project VIC's and are stored; never renumber them.
/// </summary>
public enum DecisionCategory
{
    /// <summary>0: not pertinent (not abuse material).</summary>
    NonPertinent = 0,

    /// <summary>1: child abuse material.</summary>
    ChildAbuseMaterial = 1,

    /// <summary>2: child exploitative or age-difficult.</summary>
    ExploitativeOrAgeDifficult = 2,

    /// <summary>3: CGI or animation.</summary>
    CgiOrAnimation = 3,

    /// <summary>4: comparison images (of the same victim or place, used to identify them).</summary>
    Comparison = 4,

    /// <summary>A senior analyst must look now (a child may be in danger); not a Project VIC category.</summary>
    NeedsEscalation = 9,
}

/// <summary>Who made a decision.</summary>
public enum DecisionSource
{
    /// <summary>An analyst, on this file.</summary>
    Analyst = 0,

    /// <summary>Applied automatically: the file has the same hash as a file already decided (<see cref="FileDecision.BasedOn"/>).</summary>
    SameHash = 1,

    /// <summary>Applied by an analyst's decision on another file of the same bundle (a copy or near-copy of it).</summary>
    Bundle = 2,
}

/// <summary>One decision on one file. A file's current decision is its latest; earlier ones stay as its history.</summary>
public sealed record FileDecision
{
    public required long Id { get; init; }

    public required Guid FileId { get; init; }

    public required Guid ReportId { get; init; }

    public required DecisionCategory Category { get; init; }

    public string? Note { get; init; }

    public required DecisionSource Source { get; init; }

    /// <summary>The API key id (or "system") that decided.</summary>
    public required string Actor { get; init; }

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

/// <summary>Where a report stands in review.</summary>
public enum ReviewState
{
    /// <summary>Not triaged yet (still being processed, or its triage job has not run).</summary>
    Untriaged = 0,

    /// <summary>In the queue: at least one file has no decision (or one needs escalation).</summary>
    AwaitingReview = 1,

    /// <summary>Every file has a decision and at least one came from an analyst (directly or through a bundle).</summary>
    Reviewed = 2,

    /// <summary>
    /// Closed automatically: known material only, every file already decided elsewhere (same hash). Hotlines pass
    /// these on as "informational" rather than as referrals.
    /// </summary>
    Informational = 3,
}

/// <summary>One reason a report got its priority, and what it added (negative lowers the priority).</summary>
/// <param name="Code">Stable machine name, e.g. "escalated", "unknown-media", "gps-location".</param>
/// <param name="Text">What a person reads, e.g. "2 files match nothing known (possibly new material)".</param>
/// <param name="Weight">Points added to the score.</param>
public sealed record ScoreReason(string Code, string Text, double Weight);

/// <summary>A report's priority: the sum of its reasons' weights, highest first in the queue.</summary>
public sealed record PriorityScore(double Value, IReadOnlyList<ScoreReason> Reasons, ReviewState State, DateTimeOffset ComputedAt);

/// <summary>Why two reports are linked.</summary>
public enum LinkKind
{
    /// <summary>A file with the same SHA-256 or MD5 (the value says which: "sha256:…").</summary>
    SameMedia = 0,

    /// <summary>Images within the PDQ threshold of each other (value "pdq:DISTANCE").</summary>
    SimilarMedia = 1,

    ScreenName = 2,

    Email = 3,

    /// <summary>The platform's own user id.</summary>
    EspUserId = 4,

    IpAddress = 5,

    DeviceId = 6,

    /// <summary>A camera body serial number read from a file's metadata.</summary>
    CameraSerial = 7,
}

/// <summary>
/// A key a report can share with others: an account, an address, a device, a camera, a media hash. Values are
/// normalised so equal things compare equal (emails and screen names lower-cased, IPs in canonical form, hashes hex).
/// </summary>
/// <param name="FileId">The file the key comes from (media hashes, camera serials); null for keys of the reported person.</param>
public sealed record LinkKey(LinkKind Kind, string Value, Guid? FileId);

/// <summary>A link between two reports, seen from <see cref="ReportId"/>.</summary>
/// <param name="Value">The shared value (an email, an IP, "sha256:…", "pdq:12"...).</param>
/// <param name="FileId">For media links: this report's file.</param>
/// <param name="OtherFileId">For media links: the other report's file.</param>
/// <param name="Distance">For <see cref="LinkKind.SimilarMedia"/>: PDQ bits apart.</param>
public sealed record ReportLink(
    Guid ReportId,
    Guid OtherReportId,
    LinkKind Kind,
    string Value,
    Guid? FileId,
    Guid? OtherFileId,
    int? Distance,
    DateTimeOffset CreatedAt);

/// <summary>An analyst holding a report so nobody else opens it at the same time; ends at <see cref="ExpiresAt"/> unless renewed.</summary>
public sealed record ReportClaim(Guid ReportId, string ClaimedBy, DateTimeOffset ClaimedAt, DateTimeOffset ExpiresAt);

/// <summary>Filters and paging for the review queue (highest score first, then oldest first).</summary>
public sealed record QueueQuery
{
    /// <summary>Default: reports awaiting review.</summary>
    public ReviewState State { get; init; } = ReviewState.AwaitingReview;

    /// <summary>Only reports routed to this jurisdiction queue (exact).</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>Only reports placed in this country (ISO 3166-1 alpha-2, case-insensitive).</summary>
    public string? Country { get; init; }

    /// <summary>Only reports with a file matching this list.</summary>
    public string? ListName { get; init; }

    /// <summary>Only reports whose reporter organisation is this (case-insensitive).</summary>
    public string? Reporter { get; init; }

    /// <summary>Leave out reports claimed by someone other than <see cref="Viewer"/> (claims not yet expired).</summary>
    public bool ExcludeClaimedByOthers { get; init; }

    /// <summary>Who is asking (for <see cref="ExcludeClaimedByOthers"/>).</summary>
    public string? Viewer { get; init; }

    /// <summary>Opaque cursor from the previous page (<see cref="QueueCursor"/>).</summary>
    public string? After { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>One row of the review queue.</summary>
public sealed record QueueItem
{
    public required ReportSummary Report { get; init; }

    public required PriorityScore Score { get; init; }

    public string? ReporterOrganisation { get; init; }

    /// <summary>Files still without a decision.</summary>
    public int UndecidedFileCount { get; init; }

    /// <summary>The current claim, if one has not expired.</summary>
    public ReportClaim? Claim { get; init; }
}

/// <summary>
/// Everything a triage job computed for one report, stored in one transaction with the job's completion: its link keys
/// (replacing the earlier ones), its links (added to those already stored; never duplicated), the decisions applied
/// automatically, its score and review state, and the other reports whose score must be computed again.
/// </summary>
public sealed record TriageOutcome
{
    public required Guid ReportId { get; init; }

    public required IReadOnlyList<LinkKey> Keys { get; init; }

    public required IReadOnlyList<ReportLink> Links { get; init; }

    public required IReadOnlyList<NewDecision> AutomaticDecisions { get; init; }

    public required PriorityScore Score { get; init; }

    /// <summary>Reports to enqueue a <see cref="JobKinds.ScoreReport"/> job for (one pending job per report at most).</summary>
    public IReadOnlyList<Guid> RescoreReports { get; init; } = [];
}

/// <summary>A processed file's PDQ, as the near-duplicate index of reports follows them (<see cref="ITriageStore.ReadMediaHashesAsync"/>).</summary>
public sealed record MediaHashRow(long Sequence, Guid FileId, Guid ReportId, string Pdq, int Quality);
