namespace Needle.Triage;

/// <summary>
/// A report as submitted, following NCMEC's CyberTipline model where it fits. Stored as given (as JSON) next to the
/// columns Needle queries on, so fields added later are never lost.
/// </summary>
public sealed record ReportSubmission
{
    /// <summary>The submitter's own id for the report, if any (echoed back, searchable).</summary>
    public string? ExternalId { get; init; }

    /// <summary>CyberTipline incident type, e.g. "child-pornography", "online-enticement", "child-sex-trafficking".</summary>
    public string? IncidentType { get; init; }

    /// <summary>When the incident happened or was detected, as the reporter says.</summary>
    public DateTimeOffset? IncidentTime { get; init; }

    public Reporter? Reporter { get; init; }

    public ReportedPerson? ReportedPerson { get; init; }

    /// <summary>Free text from the reporter.</summary>
    public string? Description { get; init; }

    /// <summary>The reporter believes a child may be in imminent danger.</summary>
    public bool Escalate { get; init; }

    public string? EscalationReason { get; init; }

    /// <summary>Files of the report: their media come as multipart parts (matched by <see cref="SubmittedFile.Part"/>), or only their hashes.</summary>
    public IReadOnlyList<SubmittedFile> Files { get; init; } = [];
}

/// <summary>Who reports: a platform (electronic service provider), a hotline, a member of the public.</summary>
public sealed record Reporter
{
    public string? Organisation { get; init; }

    public string? Name { get; init; }

    public string? Email { get; init; }

    public string? Phone { get; init; }
}

/// <summary>The person or account reported.</summary>
public sealed record ReportedPerson
{
    public string? Name { get; init; }

    public IReadOnlyList<string> ScreenNames { get; init; } = [];

    public IReadOnlyList<string> Emails { get; init; } = [];

    public IReadOnlyList<string> Phones { get; init; } = [];

    /// <summary>The platform's own user ids (ESP user id).</summary>
    public IReadOnlyList<string> EspUserIds { get; init; } = [];

    public IReadOnlyList<IpCaptureEvent> IpCaptureEvents { get; init; } = [];

    public IReadOnlyList<string> DeviceIds { get; init; } = [];
}

/// <summary>An IP address seen for the reported account: at upload, login, registration...</summary>
public sealed record IpCaptureEvent(string Ip, string? EventName, DateTimeOffset? At);

/// <summary>One file of a submission.</summary>
public sealed record SubmittedFile
{
    /// <summary>Name of the multipart part carrying the media; null when only hashes are reported.</summary>
    public string? Part { get; init; }

    public string? OriginalName { get; init; }

    /// <summary>Hashes the reporter computed (hex; PDQ as 64 hex digits), checked against Needle's own when media is sent.</summary>
    public ReporterHashes? Hashes { get; init; }
}

/// <summary>Hashes computed by the reporter.</summary>
public sealed record ReporterHashes
{
    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    /// <summary>PhotoDNA, base64 of the 144 bytes.</summary>
    public string? PhotoDna { get; init; }
}

/// <summary>Where a report is in its life.</summary>
public enum ReportStatus
{
    /// <summary>Stored durably; waiting for its processing job.</summary>
    Received = 0,

    /// <summary>Every file hashed (or marked unreadable) and matched.</summary>
    Processed = 1,
}

/// <summary>Where a file is in its life.</summary>
public enum FileState
{
    /// <summary>Stored, not hashed yet.</summary>
    Pending = 0,

    /// <summary>Hashed and matched.</summary>
    Hashed = 1,

    /// <summary>The media could not be decoded; the reason is kept. Exact hashes of its bytes are still computed and matched.</summary>
    Unreadable = 2,

    /// <summary>No media was sent: only the reporter's hashes, which are matched.</summary>
    HashesOnly = 3,
}

/// <summary>A stored report with its files.</summary>
public sealed record StoredReport
{
    public required Guid Id { get; init; }

    public required ReportSubmission Submission { get; init; }

    public required ReportStatus Status { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset? ProcessedAt { get; init; }

    /// <summary>The API key that submitted it.</summary>
    public required Guid SubmittedBy { get; init; }

    public required IReadOnlyList<StoredFile> Files { get; init; }

    /// <summary>Where the report goes and why; set when it is processed (null before, and for reports processed before clues existed).</summary>
    public ReportJurisdiction? Jurisdiction { get; init; }
}

/// <summary>A stored file: what was received, what Needle computed, what it matched.</summary>
public sealed record StoredFile
{
    public required Guid Id { get; init; }

    public required Guid ReportId { get; init; }

    /// <summary>Position in the submission (0-based).</summary>
    public required int Ordinal { get; init; }

    public string? OriginalName { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Bytes of media received (0 when hashes only).</summary>
    public long Size { get; init; }

    public bool HasMedia { get; init; }

    public required FileState State { get; init; }

    /// <summary>Why the media could not be decoded.</summary>
    public string? Error { get; init; }

    public ReporterHashes? ReporterHashes { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    public int? PdqQuality { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public string? Format { get; init; }

    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>What the media's metadata tells (GPS, capture time, camera...); null for hashes-only files and before processing.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: its duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}

/// <summary>What Needle computed for a video file.</summary>
/// <param name="Duration">Seconds, as the container says.</param>
/// <param name="FrameRate">Frames per second the frame numbers refer to.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="HashedFrames">Sampled frames kept in the vPDQ hash.</param>
/// <param name="DroppedFrames">Sampled frames dropped for low quality.</param>
/// <param name="Truncated">Hashing stopped at the frame limit.</param>
/// <param name="Vpdq">The vPDQ hash in Meta's text format (one <c>frame,quality,hash,timestamp</c> line per frame).</param>
public sealed record VideoSummary(double Duration, double FrameRate, int Width, int Height, int HashedFrames, int DroppedFrames, bool Truncated, string Vpdq);

/// <summary>How a video matched a vPDQ list entry.</summary>
/// <param name="Rule">"known" (enough of the listed video was found), "clip" (enough of the file was found in it), or both, comma-separated; "md5" for a byte-identical file.</param>
/// <param name="QueryPercent">Share of the file's distinct frames that matched.</param>
/// <param name="KnownPercent">Share of the listed video's distinct frames that matched.</param>
/// <param name="Segments">Corresponding time ranges, file to listed video.</param>
public sealed record VideoMatchDetails(string Rule, double QueryPercent, double KnownPercent, IReadOnlyList<MatchedTimeRange> Segments);

/// <summary>A stretch of the file (seconds) that corresponds to a stretch of the listed video.</summary>
public sealed record MatchedTimeRange(double QueryStart, double QueryEnd, double KnownStart, double KnownEnd);

/// <summary>A match of a file against a list entry.</summary>
/// <remarks>For a vPDQ match, <see cref="Value"/> names the listed video (<c>vpdq:N frames</c>, the frames being in the list), <see cref="Distance"/> is the percentage points short of a full match (100 - the larger share), and <see cref="Video"/> holds the shares and time ranges.</remarks>
public sealed record StoredMatch(
    string ListName,
    int EntryId,
    string? Label,
    string? Category,
    string SignalType,
    string Value,
    double Distance,
    string Transform,
    bool AllowList)
{
    /// <summary>For a vPDQ match: the shares of frames and the matched time ranges.</summary>
    public VideoMatchDetails? Video { get; init; }
}

/// <summary>One row of a report listing.</summary>
public sealed record ReportSummary(
    Guid Id,
    string? ExternalId,
    ReportStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessedAt,
    bool Escalate,
    int FileCount,
    int MatchedFileCount)
{
    /// <summary>The queue the report was routed to, once processed.</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>The country decided for the report, when a clue placed it.</summary>
    public string? JurisdictionCountry { get; init; }
}

/// <summary>Filters and paging for listing reports (newest first; keyset paging on (ReceivedAt, Id)).</summary>
public sealed record ReportQuery
{
    public ReportStatus? Status { get; init; }

    public bool? Escalate { get; init; }

    /// <summary>Only reports with at least one file matching this list.</summary>
    public string? ListName { get; init; }

    /// <summary>Only reports routed to this queue (exact, case-sensitive).</summary>
    public string? JurisdictionQueue { get; init; }

    /// <summary>Only reports whose decided country is this ISO 3166-1 alpha-2 code (case-insensitive).</summary>
    public string? Country { get; init; }

    public DateTimeOffset? ReceivedFrom { get; init; }

    public DateTimeOffset? ReceivedTo { get; init; }

    /// <summary>Opaque cursor from the previous page.</summary>
    public string? After { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>A page of results and the cursor of the next page (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
