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
    /// Writes the file results of a report-processing job, marks the report processed and the job done, in one
    /// transaction, only if the lease is still held (false otherwise, and nothing is written).
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

    /// <summary>Creates or upgrades the schema (versioned migrations); safe to call at every start.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the database is reachable and consistent (for /readyz).</summary>
    Task<bool> IsHealthyAsync(CancellationToken cancellationToken = default);
}
