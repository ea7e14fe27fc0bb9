using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Core.Storage;

/// <summary>
/// Triage: link keys and links between reports, decisions and their history, scores and review states, claims, and
/// the review queue. Every decision and claim change appends its audit entry in the same transaction.
/// </summary>
public interface ITriageStore
{
    /// <summary>
    /// Other reports holding any of <paramref name="keys"/> (as stored by earlier triage outcomes), as links seen from
    /// <paramref name="reportId"/> (never linking a report to itself), at most <paramref name="limit"/> of them, most
    /// recent reports first. Media keys name this report's file and the other report's file; a media key finds one other
    /// file at most (any one: copies share one media cluster, so linking to one links to all), so its cost does not grow
    /// with a viral file's copies.
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

    /// <summary>
    /// The report's links, as seen from <paramref name="reportId"/>. Links are kept as clusters (one per shared value,
    /// one per group of copies and near-duplicates of an image), so a report is linked to every other member of its
    /// clusters, each with why (the shared value, the same hash, or the PDQ distance of the two files); at most 500 other
    /// reports per cluster, the most recent.
    /// </summary>
    Task<IReadOnlyList<ReportLink>> GetLinksAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The report's links through shared values of the reported person (accounts, addresses, devices, camera serials),
    /// as <see cref="GetLinksAsync"/> gives them but without media links: what a score needs, read without visiting a
    /// viral file's media cluster.
    /// </summary>
    Task<IReadOnlyList<ReportLink>> GetPersonLinksAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The report's bundle: the reports reachable from it through media links (<see cref="LinkKind.SameMedia"/>,
    /// <see cref="LinkKind.SimilarMedia"/>, <see cref="LinkKind.Robust"/>: its files' media clusters, their reports' clusters...), itself included, at
    /// most <paramref name="maxReports"/>, in a stable order.
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

    /// <summary>
    /// Takes back a decision within its undo window: when <paramref name="decisionId"/> is still its file's current
    /// decision and no other decision is based on it, the file's previous decision (or none) becomes current again, the
    /// decision's row is removed (the audit log keeps both the decision and its undo), <paramref name="audit"/> is
    /// appended and the report is queued for rescoring, in one transaction. Returns the decision now current on the
    /// file (null when none), or false in <c>Undone</c> when nothing was changed.
    /// </summary>
    Task<(bool Undone, FileDecision? Current)> UndoDecisionAsync(long decisionId, AuditEntryDraft audit, CancellationToken cancellationToken = default);

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
    /// The review queue at <paramref name="at"/> (claims compared against it) in <see cref="QueueQuery.Order"/>: highest
    /// score first (default), oldest first, or most files first; ties oldest first, then by id; keyset paging.
    /// <see cref="QueueQuery.Limit"/> is clamped to 1..500. Reports not triaged yet have score 0 with no reasons,
    /// computed at their receipt.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="QueueQuery.After"/> is not a queue cursor, or one made for another order.</exception>
    Task<Page<QueueItem>> QueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>How many reports the queue holds with these filters at <paramref name="at"/> (<see cref="QueueQuery.After"/> and <see cref="QueueQuery.Limit"/> ignored).</summary>
    Task<int> CountQueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// PDQ hashes of processed files in the order they were stored, after <paramref name="afterSequence"/>, at most
    /// <paramref name="limit"/>: the near-duplicate index of reports follows them. Sequences only grow; a backend whose
    /// transactions may commit out of sequence order documents how far back a follower must look again.
    /// </summary>
    Task<IReadOnlyList<MediaHashRow>> ReadMediaHashesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The processed files stored with these media sequences (<see cref="MediaHashRow.Sequence"/>), in no particular
    /// order, those not found left out: the near-duplicate index holds sequences only and reads a hit's details here.
    /// </summary>
    Task<IReadOnlyList<MediaHashRow>> ReadMediaFilesAsync(IReadOnlyList<long> sequences, CancellationToken cancellationToken = default);

    /// <summary>Open reports (awaiting review or untriaged but processed) after <paramref name="afterId"/> in id order, at most <paramref name="limit"/>: for rescoring after a list change.</summary>
    Task<IReadOnlyList<Guid>> ListOpenReportsAsync(Guid? afterId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Share of files decided automatically (same hash) over all decided files, and the counts, for the dashboard and the benchmark.</summary>
    Task<DecisionStatistics> GetDecisionStatisticsAsync(CancellationToken cancellationToken = default);
}
