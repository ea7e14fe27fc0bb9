using Needle.Matching.Lists;

namespace Needle.Triage;

/// <summary>A new report ready to be stored: ids chosen, media already encrypted.</summary>
public sealed record NewReport(
    Guid Id,
    ReportSubmission Submission,
    Guid SubmittedBy,
    string? IdempotencyKey,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<NewFile> Files);

/// <summary>A new file of a report. <paramref name="EncryptedMedia"/> is null when only hashes were reported.</summary>
public sealed record NewFile(
    Guid Id,
    int Ordinal,
    string? OriginalName,
    string? ContentType,
    long Size,
    byte[]? EncryptedMedia,
    ReporterHashes? ReporterHashes);

/// <summary>Outcome of a submission: <paramref name="Created"/> is false when the idempotency key was seen before and the earlier report is returned.</summary>
public sealed record SubmitResult(Guid ReportId, bool Created);

/// <summary>Stored media of one file, still encrypted.</summary>
public sealed record StoredMedia(Guid FileId, Guid ReportId, string? ContentType, string? OriginalName, byte[] EncryptedBytes);

/// <summary>What processing computed for one file.</summary>
public sealed record FileResult
{
    public required Guid FileId { get; init; }

    public required FileState State { get; init; }

    public string? Error { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    public int? PdqQuality { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public string? Format { get; init; }

    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>The metadata clues of the media; null for hashes-only files.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}

/// <summary>Reports, their files and media. Implementations make every acknowledged write durable before returning.</summary>
public interface IReportStore
{
    /// <summary>
    /// Stores the report, its files and media, a processing job for it, and the audit entry, in one transaction.
    /// A repeated idempotency key (for the same submitting key) stores nothing and returns the earlier report.
    /// </summary>
    Task<SubmitResult> SubmitAsync(NewReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    Task<StoredReport?> GetAsync(Guid reportId, CancellationToken cancellationToken = default);

    Task<Page<ReportSummary>> ListAsync(ReportQuery query, CancellationToken cancellationToken = default);

    Task<StoredFile?> GetFileAsync(Guid fileId, CancellationToken cancellationToken = default);

    Task<StoredMedia?> GetMediaAsync(Guid fileId, CancellationToken cancellationToken = default);
}

/// <summary>A processing job held by one worker until <see cref="LeasedUntil"/>.</summary>
public sealed record LeasedJob(long Id, string Kind, Guid SubjectId, Guid LeaseToken, int Attempt, DateTimeOffset LeasedUntil);

/// <summary>
/// The durable job queue. A job is leased for a while; a worker that dies loses its lease and the job is leased again.
/// Completion is conditional on still holding the lease and writes the job's results in the same transaction, so a
/// job that runs twice has the effect of one.
/// </summary>
public interface IJobQueue
{
    /// <summary>Leases the oldest job that is pending or whose lease expired; null when there is none.</summary>
    Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease still held; false if it was lost.</summary>
    Task<bool> RenewAsync(LeasedJob job, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the file results of a report-processing job, marks the report processed and the job done, and enqueues
    /// the report's <see cref="JobKinds.TriageReport"/> job, in one transaction, only if the lease is still held (false
    /// otherwise, and nothing is written). Files stored with a PDQ take the next media sequence
    /// (<see cref="ITriageStore.ReadMediaHashesAsync"/>).
    /// </summary>
    Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, CancellationToken cancellationToken = default) =>
        CompleteReportAsync(job, results, null, cancellationToken);

    /// <summary>
    /// As <see cref="CompleteReportAsync(LeasedJob, IReadOnlyList{FileResult}, CancellationToken)"/>, also storing the
    /// report's <paramref name="jurisdiction"/> (decision and evidence; its queue and country are queryable).
    /// </summary>
    Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, ReportJurisdiction? jurisdiction, CancellationToken cancellationToken);

    /// <summary>Gives a job back after a failure; it runs again after <paramref name="retryAfter"/>. After too many attempts it is parked as failed with the error.</summary>
    Task ReleaseAsync(LeasedJob job, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues a job unless one of the same kind and subject is already pending (not yet leased); true when enqueued.
    /// For jobs that are not part of another write (a list change asking for open reports to be rescored).
    /// </summary>
    Task<bool> EnqueueAsync(string kind, Guid subjectId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a job done that writes nothing of its own (a rescore-open-reports job, once it has enqueued its score
    /// jobs), only if its lease is still held; false otherwise.
    /// </summary>
    Task<bool> CompleteAsync(LeasedJob job, CancellationToken cancellationToken = default);

    /// <summary>Jobs not yet done (pending, leased or waiting to retry).</summary>
    Task<int> CountOpenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back at once the jobs leased by workers that <paramref name="isAbandoned"/> (called with each holder's
    /// worker id) knows to be dead, instead of leaving them until their lease runs out: a server restarted after a crash
    /// calls it before its workers start. The attempt stays counted, so a job that kills its worker is still parked
    /// after the allowed attempts. Returns how many jobs were given back.
    /// </summary>
    Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default);
}

/// <summary>A hash list's settings as stored.</summary>
public sealed record StoredList(string Name, HashListKind Kind, double? PdqThreshold, double? PhotoDnaThreshold, DateTimeOffset CreatedAt);

/// <summary>
/// Hash lists ("banks") and their entries. Every change also appends its audit entry (chained as by
/// <see cref="IAuditLog.AppendAsync"/>) in the same transaction, and only when something changed: a change is never
/// stored without its audit entry, nor an audit entry without its change.
/// </summary>
public interface IListStore
{
    Task<IReadOnlyList<StoredList>> GetListsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a list and appends <paramref name="audit"/>; false (and no audit entry) if the name is taken.</summary>
    Task<bool> CreateListAsync(StoredList list, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Deletes a list and its entries and appends <paramref name="audit"/>; false (and no audit entry) if there is none.</summary>
    Task<bool> DeleteListAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<HashListEntry>> GetEntriesAsync(string listName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds entries (their Id is ignored) and returns them with the ids the store assigned, in order. The audit entry
    /// is <paramref name="audit"/> applied to those stored entries (so it can name the assigned ids); none is written
    /// when <paramref name="entries"/> is empty.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No list has this name (nothing is written).</exception>
    Task<IReadOnlyList<HashListEntry>> AddEntriesAsync(
        string listName,
        IReadOnlyList<HashListEntry> entries,
        Func<IReadOnlyList<HashListEntry>, AuditEntryDraft> audit,
        CancellationToken cancellationToken = default);

    /// <summary>Enables or disables an entry and appends <paramref name="audit"/>; false (and no audit entry) when the list or entry does not exist.</summary>
    Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Removes an entry and appends <paramref name="audit"/>; false (and no audit entry) when the list or entry does not exist.</summary>
    Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every list with its entries and the change log's sequence, read in one snapshot: the changes after
    /// <see cref="ListSnapshot.Sequence"/> are exactly those the snapshot does not show. The default (for stores without
    /// a change log) reads the lists one by one with sequence 0.
    /// </summary>
    async Task<ListSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var lists = new List<(StoredList, IReadOnlyList<HashListEntry>)>();
        foreach (var list in await GetListsAsync(cancellationToken).ConfigureAwait(false))
        {
            lists.Add((list, await GetEntriesAsync(list.Name, cancellationToken).ConfigureAwait(false)));
        }

        return new ListSnapshot(0, lists);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> changes of the change log after <paramref name="afterSequence"/>, in sequence
    /// order. Every change of a list or its entries appends one row in its own transaction, and sequences become
    /// visible in order (a reader never sees a sequence while a lower one can still commit), so a reader that keeps
    /// the last sequence it read misses nothing. Each change carries the current state of what it names (read in the
    /// same snapshot), so applying it again, or after a later change, is harmless. The default (no change log) is empty.
    /// </summary>
    Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ListChange>>([]);
}

/// <summary>The lists and their entries as of change-log sequence <see cref="Sequence"/>.</summary>
public sealed record ListSnapshot(long Sequence, IReadOnlyList<(StoredList List, IReadOnlyList<HashListEntry> Entries)> Lists);

/// <summary>What a row of the list change log records.</summary>
public enum ListChangeKind
{
    /// <summary>A list was created (empty).</summary>
    ListCreated = 0,

    /// <summary>A list was deleted with its entries.</summary>
    ListDeleted = 1,

    /// <summary>Entries <see cref="ListChange.FirstEntryId"/> to <see cref="ListChange.LastEntryId"/> were added, enabled, disabled or removed.</summary>
    EntriesChanged = 2,
}

/// <summary>
/// One row of the list change log with the current state of what it names: for <see cref="ListChangeKind.ListCreated"/>
/// the list's settings (null when it is gone again); for <see cref="ListChangeKind.EntriesChanged"/> the entries of the
/// id range that exist now (an id of the range missing here no longer exists).
/// </summary>
public sealed record ListChange(long Sequence, ListChangeKind Kind, string ListName, int FirstEntryId, int LastEntryId)
{
    public StoredList? List { get; init; }

    public IReadOnlyList<HashListEntry> Entries { get; init; } = [];
}

/// <summary>What a caller is allowed to do.</summary>
public enum ApiRole
{
    /// <summary>Submit reports, look up hashes.</summary>
    Submitter = 0,

    /// <summary>Read reports, files and media; record decisions.</summary>
    Reviewer = 1,

    /// <summary>Lists, keys, settings.</summary>
    Admin = 2,

    /// <summary>Read and verify the audit log.</summary>
    Auditor = 3,
}

/// <summary>An API key as stored: never the key itself, only a salted hash of its secret.</summary>
public sealed record ApiKeyRecord(
    Guid Id,
    string Name,
    ApiRole Role,
    byte[] Salt,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt);

/// <summary>API keys. Creating and revoking also append the audit entry in the same transaction, only when something changed.</summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key and appends <paramref name="audit"/>; throws (writing nothing) if the id exists.</summary>
    Task CreateAsync(ApiKeyRecord key, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> FindAsync(Guid id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes a key and appends <paramref name="audit"/>; false (and no audit entry) if there is none or it was already revoked.</summary>
    Task<bool> RevokeAsync(Guid id, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    Task<int> CountAsync(CancellationToken cancellationToken = default);
}

/// <summary>An audit event before it is chained.</summary>
/// <param name="Actor">Who: the API key id (or "system", "cli").</param>
/// <param name="Action">What, e.g. "report.submit", "media.read", "list.create", "key.revoke".</param>
/// <param name="Target">On what, e.g. "report/{id}".</param>
/// <param name="Details">Optional JSON with more facts.</param>
/// <param name="RemoteAddress">From where.</param>
public sealed record AuditEntryDraft(string Actor, string Action, string Target, string? Details, string? RemoteAddress);

/// <summary>A chained audit entry: <see cref="Hash"/> = SHA-256 over the previous hash and this entry's fields (see <see cref="AuditChain"/>).</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string Target,
    string? Details,
    string? RemoteAddress,
    string PreviousHash,
    string Hash);

/// <summary>The append-only audit log.</summary>
public interface IAuditLog
{
    /// <summary>Appends an entry chained to the last one (serialised: concurrent appends never fork the chain).</summary>
    Task<AuditEntry> AppendAsync(AuditEntryDraft draft, CancellationToken cancellationToken = default);

    /// <summary>Entries with Sequence &gt; <paramref name="afterSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Everything the server needs from a database, so a backend is one object to register.</summary>
public interface INeedleStore : IAsyncDisposable
{
    IReportStore Reports { get; }

    IJobQueue Jobs { get; }

    IListStore Lists { get; }

    IApiKeyStore Keys { get; }

    IAuditLog Audit { get; }

    ITriageStore Triage { get; }

    /// <summary>Creates or upgrades the schema (versioned migrations); safe to call at every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the database is reachable and consistent (for /readyz).</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Triage: link keys and links between reports, decisions and their history, scores and review states, claims, and
/// the review queue. Every decision and claim change appends its audit entry in the same transaction.
/// </summary>
public interface ITriageStore
{
    /// <summary>
    /// Other reports holding any of <paramref name="keys"/> (as stored by earlier triage outcomes), as links seen from
    /// <paramref name="reportId"/> (never linking a report to itself), at most <paramref name="limit"/> of them, most
    /// recent reports first. Media keys name this report's file and the other report's file.
    /// </summary>
    Task<IReadOnlyList<ReportLink>> FindSharedKeysAsync(Guid reportId, IReadOnlyList<LinkKey> keys, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores a triage job's outcome and marks the job done, in one transaction, only if the job's lease is still held
    /// and has not run out by the store's clock (false otherwise, nothing written). Idempotent: running the same outcome
    /// twice stores it once. An automatic decision is skipped when the file's current decision is an analyst's (never
    /// overridden automatically) or is that same automatic decision already.
    /// </summary>
    /// <exception cref="ArgumentException">The job is not a <see cref="JobKinds.TriageReport"/> job, or is for another report than the outcome.</exception>
    Task<bool> CompleteTriageAsync(LeasedJob job, TriageOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Stores a recomputed score and review state for a report (a score-report job) and marks the job done, only while its lease is held (and not run out).</summary>
    /// <exception cref="ArgumentException">The job is not a <see cref="JobKinds.ScoreReport"/> job.</exception>
    Task<bool> CompleteScoreAsync(LeasedJob job, Guid reportId, PriorityScore score, CancellationToken cancellationToken = default);

    /// <summary>The report's links, from both sides, as seen from <paramref name="reportId"/>.</summary>
    Task<IReadOnlyList<ReportLink>> GetLinksAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The report's bundle: the reports reachable from it through media links (<see cref="LinkKind.SameMedia"/>,
    /// <see cref="LinkKind.SimilarMedia"/>), itself included, at most <paramref name="maxReports"/>, in a stable order.
    /// </summary>
    Task<IReadOnlyList<Guid>> GetBundleAsync(Guid reportId, int maxReports, CancellationToken cancellationToken = default);

    /// <summary>The report's score, or null before its first triage.</summary>
    Task<PriorityScore?> GetScoreAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores decisions (an analyst's, and those it carries to copies of the file), each revising the file's current
    /// decision, appends <paramref name="audit"/>, and enqueues a score-report job for every report touched, in one
    /// transaction. Returns the stored decisions in order. A decision that is not an analyst's own
    /// (<see cref="DecisionSource.SameHash"/>, <see cref="DecisionSource.Bundle"/>) is skipped, and not returned, on a
    /// file whose current decision is an analyst's, or is the same decision already. An empty list writes nothing.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A file does not exist (nothing is written).</exception>
    Task<IReadOnlyList<FileDecision>> DecideAsync(IReadOnlyList<NewDecision> decisions, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The current decision of every decided file of a report, by file id.</summary>
    Task<IReadOnlyDictionary<Guid, FileDecision>> GetCurrentDecisionsAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>Every decision on a file, oldest first.</summary>
    Task<IReadOnlyList<FileDecision>> GetDecisionHistoryAsync(Guid fileId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The current decision of another file with the same media (same SHA-256, else same MD5, else the identical PDQ
    /// hash when <paramref name="pdq"/> is given), preferring decisions made by an analyst, then the most recent; null
    /// when no such file was decided. <paramref name="excludingFileId"/> is never returned.
    /// </summary>
    Task<FileDecision?> FindDecisionForMediaAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, CancellationToken cancellationToken = default);

    /// <summary>Files without a current decision whose media equals these hashes (same SHA-256, MD5, or identical PDQ), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<StoredFile>> FindUndecidedCopiesAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims a report for <paramref name="claimant"/> until <paramref name="until"/>: succeeds when it is unclaimed,
    /// its claim expired, or the claimant holds it already (renewing it: the claim keeps its ClaimedAt), appending
    /// <paramref name="audit"/>. Returns the claim now in force and whether it is the claimant's (when it is not, nothing
    /// is written, not even the audit entry); null when the report does not exist.
    /// </summary>
    Task<(ReportClaim Claim, bool Granted)?> TryClaimAsync(Guid reportId, string claimant, DateTimeOffset at, DateTimeOffset until, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a claim held by <paramref name="claimant"/> (or anyone's, when <paramref name="force"/>), appending
    /// <paramref name="audit"/>; false (and no audit entry) when there was none to end (a claim expired by the store's
    /// clock is over already).
    /// </summary>
    Task<bool> ReleaseClaimAsync(Guid reportId, string claimant, bool force, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The claim in force at <paramref name="at"/>, if any.</summary>
    Task<ReportClaim?> GetClaimAsync(Guid reportId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// The review queue at <paramref name="at"/> (claims compared against it): highest score first, then oldest, then
    /// by id; keyset paging. <see cref="QueueQuery.Limit"/> is clamped to 1..500. Reports not triaged yet have score 0
    /// with no reasons, computed at their receipt.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="QueueQuery.After"/> is not a queue cursor.</exception>
    Task<Page<QueueItem>> QueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// PDQ hashes of processed files in the order they were stored, after <paramref name="afterSequence"/>, at most
    /// <paramref name="limit"/>: the near-duplicate index of reports follows them. Sequences only grow; a backend whose
    /// transactions may commit out of sequence order documents how far back a follower must look again.
    /// </summary>
    Task<IReadOnlyList<MediaHashRow>> ReadMediaHashesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>Open reports (awaiting review or untriaged but processed) after <paramref name="afterId"/> in id order, at most <paramref name="limit"/>: for rescoring after a list change.</summary>
    Task<IReadOnlyList<Guid>> ListOpenReportsAsync(Guid? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>A settings document (JSON) for a scope: "org" for the organisation's defaults, "user:{key id}" for one person's preferences; null when never set.</summary>
    Task<string?> GetSettingsAsync(string scope, CancellationToken cancellationToken = default);

    /// <summary>Replaces a scope's settings document and appends <paramref name="audit"/>, in one transaction.</summary>
    Task SetSettingsAsync(string scope, string json, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Share of files decided automatically (same hash) over all decided files, and the counts, for the dashboard and the benchmark.</summary>
    Task<DecisionStatistics> GetDecisionStatisticsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// How many files are decided, and how many of them automatically, counting each file's current decision:
/// <see cref="DecidedAutomatically"/> is <see cref="DecisionSource.SameHash"/>, <see cref="DecidedByAnalyst"/> is
/// <see cref="DecisionSource.Analyst"/> and <see cref="DecisionSource.Bundle"/> (an analyst's decision carried to copies).
/// Processed files are those hashed, unreadable or hashes-only.
/// </summary>
public sealed record DecisionStatistics(long ProcessedFiles, long DecidedFiles, long DecidedByAnalyst, long DecidedAutomatically)
{
    /// <summary>Share of processed files resolved without an analyst looking (0 when none processed).</summary>
    public double AutoResolvedShare => ProcessedFiles == 0 ? 0 : (double)DecidedAutomatically / ProcessedFiles;
}
