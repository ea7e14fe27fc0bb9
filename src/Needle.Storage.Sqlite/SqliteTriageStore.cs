using Needle.Triage;

namespace Needle.Storage.Sqlite;

// PLACEHOLDER on branch triage-api: the triage-store helper replaces every member with the real implementation.
internal sealed class SqliteTriageStore(SqliteDatabase database) : ITriageStore
{
    private readonly SqliteDatabase _database = database;

    public Task<IReadOnlyList<ReportLink>> FindSharedKeysAsync(Guid reportId, IReadOnlyList<LinkKey> keys, int limit, CancellationToken cancellationToken = default) => throw new NotImplementedException(_database.ToString());
    public Task<bool> CompleteTriageAsync(LeasedJob job, TriageOutcome outcome, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<bool> CompleteScoreAsync(LeasedJob job, Guid reportId, PriorityScore score, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<ReportLink>> GetLinksAsync(Guid reportId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<Guid>> GetBundleAsync(Guid reportId, int maxReports, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<PriorityScore?> GetScoreAsync(Guid reportId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<FileDecision>> DecideAsync(IReadOnlyList<NewDecision> decisions, AuditEntryDraft audit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyDictionary<Guid, FileDecision>> GetCurrentDecisionsAsync(Guid reportId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<FileDecision>> GetDecisionHistoryAsync(Guid fileId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<FileDecision?> FindDecisionForMediaAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<StoredFile>> FindUndecidedCopiesAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, int limit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<(ReportClaim Claim, bool Granted)?> TryClaimAsync(Guid reportId, string claimant, DateTimeOffset at, DateTimeOffset until, AuditEntryDraft audit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<bool> ReleaseClaimAsync(Guid reportId, string claimant, bool force, AuditEntryDraft audit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<ReportClaim?> GetClaimAsync(Guid reportId, DateTimeOffset at, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<Page<QueueItem>> QueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<MediaHashRow>> ReadMediaHashesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<IReadOnlyList<Guid>> ListOpenReportsAsync(Guid? afterId, int limit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<string?> GetSettingsAsync(string scope, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task SetSettingsAsync(string scope, string json, AuditEntryDraft audit, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Task<DecisionStatistics> GetDecisionStatisticsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();
}
