using System.Data.Common;
using System.Globalization;
using System.Text;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Storage.Relational;

/// <summary>
/// Triage: link keys and links (as clusters: <see cref="RelationalLinkClusters"/>), decisions (history in <c>decisions</c>, the current one pointed at by
/// <c>files.current_decision_id</c>), scores, review states and claims on <c>reports</c>. A decision, its audit entry and
/// its score jobs commit in one transaction. Where writers are concurrent, rows changed from their current value (a
/// file's current decision, a report's claim) are locked first, so concurrent writers take turns on them.
/// </summary>
internal sealed class RelationalTriageStore : ITriageStore
{
    public const int MaxPageSize = 500;

    private const string DecisionColumns =
        "d.id, d.file_id, d.report_id, d.category, d.note, d.source, d.actor, d.at, d.revises, d.based_on, d.based_on_file, d.based_on_reason";

    private readonly RelationalDatabase _database;
    private readonly SqlDialect _dialect;
    private readonly string _fileColumns;
    private readonly string _selectScore;
    private readonly string _selectClaimForUpdate;
    private readonly string _selectQueue;
    private readonly string _reporterFilter;
    private readonly string _claimsOfOthersFilter;
    private readonly string _selectStatistics;

    public RelationalTriageStore(RelationalDatabase database)
    {
        _database = database;
        _dialect = database.Dialect;
        _fileColumns = StoredRows.FileColumns(_dialect);
        _selectScore = $"SELECT {StoredRows.ScoreColumns(_dialect, string.Empty)} FROM reports WHERE id = @id AND scored_at IS NOT NULL;";
        _selectClaimForUpdate = $"SELECT claimed_by, claimed_at, claim_expires FROM reports WHERE id = @id{_dialect.ForUpdate};";
        _selectQueue = $"""
            SELECT r.id, r.external_id, r.status, r.received_at, r.processed_at, r.escalate, r.file_count, r.matched_file_count,
                r.jurisdiction_queue, r.jurisdiction_country,
                {StoredRows.ScoreColumns(_dialect, "r.")},
                r.reporter_org,
                (SELECT COUNT(*) FROM files f WHERE f.report_id = r.id AND f.current_decision_id IS NULL),
                r.claimed_by, r.claimed_at, r.claim_expires, r.assigned_to
            FROM reports r
            WHERE r.review_state = @state
            """;
        _reporterFilter = " AND " + _dialect.EqualsIgnoringCase("r.reporter_org", "@reporter");
        _claimsOfOthersFilter = $" AND (r.claimed_by IS NULL OR r.claim_expires <= @at OR {_dialect.IsNotDistinctFrom("r.claimed_by", "@viewer")})";
        _selectStatistics = $"""
            SELECT
                (SELECT COUNT(*) FROM files WHERE state IN ({(int)FileState.Hashed}, {(int)FileState.Unreadable}, {(int)FileState.HashesOnly})),
                COUNT(d.id),
                {_dialect.CountWhere($"d.source <> {(int)DecisionSource.SameHash}")},
                {_dialect.CountWhere($"d.source = {(int)DecisionSource.SameHash}")}
            FROM files f JOIN decisions d ON d.id = f.current_decision_id;
            """;
    }

    private const string SelectKeyHolders = """
        SELECT k.report_id, k.file_id, r.received_at
        FROM report_keys k JOIN reports r ON r.id = k.report_id
        WHERE k.kind = @kind AND k.value = @value AND k.report_id <> @self
        ORDER BY r.received_at DESC, k.report_id DESC
        LIMIT @limit;
        """;

    private const string SelectMediaKeyHolder = """
        SELECT k.report_id, k.file_id, r.received_at
        FROM report_keys k JOIN reports r ON r.id = k.report_id
        WHERE k.kind = @kind AND k.value = @value AND k.report_id <> @self
        LIMIT @limit;
        """;

    public Task<IReadOnlyList<ReportLink>> FindSharedKeysAsync(Guid reportId, IReadOnlyList<LinkKey> keys, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0 || limit <= 0)
        {
            return Task.FromResult<IReadOnlyList<ReportLink>>([]);
        }

        return _database.ReadAsync<IReadOnlyList<ReportLink>>(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();
                var found = new List<(long ReceivedTicks, ReportLink Link)>();
                var seen = new HashSet<(Guid, LinkKind, string, Guid?, Guid?)>();
                foreach (var key in keys)
                {
                    // A media key needs one other copy only: copies are one media cluster, so joining one joins them
                    // all. Read without sorting, its cost stays flat however many copies share the hash.
                    var media = key.Kind is LinkKind.SameMedia or LinkKind.SimilarMedia;
                    var rows = await _dialect
                        .Command(connection, transaction, media ? SelectMediaKeyHolder : SelectKeyHolders)
                        .With("@kind", (int)key.Kind)
                        .With("@value", key.Value)
                        .With("@self", reportId)
                        .With("@limit", media ? 1 : limit)
                        .ListAsync(reader => (Other: reader.GetGuid(0), OtherFile: reader.GetGuidOrNull(1), Received: reader.GetInt64(2)), ct)
                        .ConfigureAwait(false);
                    foreach (var row in rows)
                    {
                        if (seen.Add((row.Other, key.Kind, key.Value, key.FileId, row.OtherFile)))
                        {
                            found.Add((row.Received, new ReportLink(reportId, row.Other, key.Kind, key.Value, key.FileId, row.OtherFile, null, now)));
                        }
                    }
                }

                // Most recent reports first, then a fixed order so the answer is stable.
                found.Sort((x, y) =>
                {
                    var byTime = y.ReceivedTicks.CompareTo(x.ReceivedTicks);
                    if (byTime != 0)
                    {
                        return byTime;
                    }

                    var byReport = string.CompareOrdinal(OrderKey(x.Link.OtherReportId), OrderKey(y.Link.OtherReportId));
                    return byReport != 0 ? byReport : x.Link.Kind != y.Link.Kind ? x.Link.Kind.CompareTo(y.Link.Kind) : string.CompareOrdinal(x.Link.Value, y.Link.Value);
                });
                var result = new List<ReportLink>(Math.Min(limit, found.Count));
                for (var i = 0; i < found.Count && i < limit; i++)
                {
                    result.Add(found[i].Link);
                }

                return result;
            },
            cancellationToken);
    }

    public Task<bool> CompleteTriageAsync(LeasedJob job, TriageOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(outcome);
        RequireKind(job, JobKinds.TriageReport);
        if (outcome.ReportId != job.SubjectId)
        {
            throw new ArgumentException($"The outcome is for report {outcome.ReportId}, the job for report {job.SubjectId}.", nameof(outcome));
        }

        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();
                if (!await RelationalJobQueue.CloseLiveLeaseAsync(_database, connection, transaction, job, now, ct).ConfigureAwait(false))
                {
                    return false;
                }

                await ReplaceKeysAsync(connection, transaction, outcome.ReportId, outcome.Keys, ct).ConfigureAwait(false);
                await RelationalLinkClusters.StoreAsync(_dialect, connection, transaction, outcome.Links, ct).ConfigureAwait(false);

                await LockFilesAsync(connection, transaction, outcome.AutomaticDecisions, ct).ConfigureAwait(false);
                foreach (var decision in outcome.AutomaticDecisions)
                {
                    await InsertDecisionAsync(connection, transaction, decision, ct).ConfigureAwait(false);
                }

                await StoreScoreAsync(connection, transaction, outcome.ReportId, outcome.Score, ct).ConfigureAwait(false);
                foreach (var other in _dialect.InLockOrder(outcome.RescoreReports))
                {
                    await RelationalJobQueue.EnqueueAsync(_database, connection, transaction, JobKinds.ScoreReport, other, now, ct).ConfigureAwait(false);
                }

                return true;
            },
            cancellationToken);
    }

    public Task<bool> CompleteScoreAsync(LeasedJob job, Guid reportId, PriorityScore score, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(score);
        RequireKind(job, JobKinds.ScoreReport);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                if (!await RelationalJobQueue.CloseLiveLeaseAsync(_database, connection, transaction, job, _database.Time.GetUtcNow(), ct).ConfigureAwait(false))
                {
                    return false;
                }

                await StoreScoreAsync(connection, transaction, reportId, score, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ReportLink>> GetLinksAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            (connection, transaction, ct) => RelationalLinkClusters.ReadLinksAsync(_dialect, connection, transaction, reportId, includeMedia: true, ct),
            cancellationToken);

    public Task<IReadOnlyList<ReportLink>> GetPersonLinksAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            (connection, transaction, ct) => RelationalLinkClusters.ReadLinksAsync(_dialect, connection, transaction, reportId, includeMedia: false, ct),
            cancellationToken);

    public Task<IReadOnlyList<Guid>> GetBundleAsync(Guid reportId, int maxReports, CancellationToken cancellationToken = default) =>
        maxReports <= 0
            ? Task.FromResult<IReadOnlyList<Guid>>([])
            : _database.ReadAsync(
                (connection, transaction, ct) => RelationalLinkClusters.ReadBundleAsync(_dialect, connection, transaction, reportId, maxReports, ct),
                cancellationToken);

    public Task<PriorityScore?> GetScoreAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, _selectScore)
                .With("@id", reportId)
                .FirstOrDefaultAsync(reader => StoredRows.ReadScore(reader, 0), ct),
            cancellationToken);

    public Task<IReadOnlyList<FileDecision>> DecideAsync(IReadOnlyList<NewDecision> decisions, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(audit);
        if (decisions.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<FileDecision>>([]);
        }

        return _database.WriteAsync<IReadOnlyList<FileDecision>>(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();
                var stored = new List<FileDecision>(decisions.Count);
                var touched = new List<Guid>();
                await LockFilesAsync(connection, transaction, decisions, ct).ConfigureAwait(false);
                foreach (var decision in decisions)
                {
                    // Throws KeyNotFoundException for an unknown file: the whole write is rolled back.
                    var result = await InsertDecisionAsync(connection, transaction, decision, ct).ConfigureAwait(false);
                    if (result.Stored is { } fileDecision)
                    {
                        stored.Add(fileDecision);
                    }

                    if (!touched.Contains(result.ReportId))
                    {
                        touched.Add(result.ReportId);
                    }
                }

                await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, ct).ConfigureAwait(false);
                foreach (var report in _dialect.InLockOrder(touched))
                {
                    await RelationalJobQueue.EnqueueAsync(_database, connection, transaction, JobKinds.ScoreReport, report, now, ct).ConfigureAwait(false);
                }

                return stored;
            },
            cancellationToken);
    }

    public Task<(bool Undone, FileDecision? Current)> UndoDecisionAsync(long decisionId, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync<(bool Undone, FileDecision? Current)>(
            async (connection, transaction, ct) =>
            {
                var target = await _dialect
                    .Command(connection, transaction, $"SELECT {DecisionColumns} FROM decisions d WHERE d.id = @id;")
                    .With("@id", decisionId)
                    .FirstOrDefaultAsync(StoredRows.ReadDecision, ct)
                    .ConfigureAwait(false);
                if (target is null)
                {
                    return (false, null);
                }

                // The file row is locked first, so a concurrent decision on the file waits and then sees the undo.
                await _dialect.LockFileAsync(connection, transaction, target.FileId, ct).ConfigureAwait(false);
                var current = await _dialect
                    .Command(connection, transaction, "SELECT current_decision_id FROM files WHERE id = @file;")
                    .With("@file", target.FileId)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                var dependents = Convert.ToInt64(
                    await _dialect
                        .Command(connection, transaction, "SELECT COUNT(*) FROM decisions WHERE based_on = @id OR revises = @id;")
                        .With("@id", decisionId)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                if (current is null or DBNull || Convert.ToInt64(current, CultureInfo.InvariantCulture) != decisionId || dependents > 0)
                {
                    return (false, null);
                }

                await _dialect
                    .Command(connection, transaction, "UPDATE files SET current_decision_id = @previous WHERE id = @file;")
                    .With("@previous", target.Revises)
                    .With("@file", target.FileId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                await _dialect.Command(connection, transaction, "DELETE FROM decisions WHERE id = @id;").With("@id", decisionId).RunAsync(ct).ConfigureAwait(false);
                FileDecision? previous = null;
                if (target.Revises is { } previousId)
                {
                    previous = await _dialect
                        .Command(connection, transaction, $"SELECT {DecisionColumns} FROM decisions d WHERE d.id = @id;")
                        .With("@id", previousId)
                        .FirstOrDefaultAsync(StoredRows.ReadDecision, ct)
                        .ConfigureAwait(false);
                }

                await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, ct).ConfigureAwait(false);
                await RelationalJobQueue.EnqueueAsync(_database, connection, transaction, JobKinds.ScoreReport, target.ReportId, _database.Time.GetUtcNow(), ct).ConfigureAwait(false);
                return (true, previous);
            },
            cancellationToken);
    }

    public Task<IReadOnlyDictionary<Guid, FileDecision>> GetCurrentDecisionsAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyDictionary<Guid, FileDecision>>(
            async (connection, transaction, ct) =>
            {
                var rows = await _dialect
                    .Command(connection, transaction, $"SELECT {DecisionColumns} FROM files f JOIN decisions d ON d.id = f.current_decision_id WHERE f.report_id = @report;")
                    .With("@report", reportId)
                    .ListAsync(StoredRows.ReadDecision, ct)
                    .ConfigureAwait(false);
                var byFile = new Dictionary<Guid, FileDecision>(rows.Count);
                foreach (var row in rows)
                {
                    byFile[row.FileId] = row;
                }

                return byFile;
            },
            cancellationToken);

    public Task<IReadOnlyList<FileDecision>> GetDecisionHistoryAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<FileDecision>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, $"SELECT {DecisionColumns} FROM decisions d WHERE d.file_id = @file ORDER BY d.id;")
                .With("@file", fileId)
                .ListAsync(StoredRows.ReadDecision, ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<FileDecision?> FindDecisionForMediaAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // Strongest evidence first: the first hash that finds a decided copy answers.
                foreach (var (column, value) in MediaHashes(sha256, md5, pdq))
                {
                    var found = await _dialect
                        .Command(connection, transaction, $"""
                            SELECT {DecisionColumns} FROM files f JOIN decisions d ON d.id = f.current_decision_id
                            WHERE f.{column} = @value AND f.current_decision_id IS NOT NULL AND f.id <> @excluding
                            ORDER BY d.source = {(int)DecisionSource.Analyst} DESC, d.at DESC, d.id DESC
                            LIMIT 1;
                            """)
                        .With("@value", value)
                        .With("@excluding", excludingFileId)
                        .FirstOrDefaultAsync(StoredRows.ReadDecision, ct)
                        .ConfigureAwait(false);
                    if (found is not null)
                    {
                        return found;
                    }
                }

                return null;
            },
            cancellationToken);

    public Task<IReadOnlyList<StoredFile>> FindUndecidedCopiesAsync(string? sha256, string? md5, string? pdq, Guid excludingFileId, int limit, CancellationToken cancellationToken = default)
    {
        if (limit <= 0)
        {
            return Task.FromResult<IReadOnlyList<StoredFile>>([]);
        }

        return _database.ReadAsync<IReadOnlyList<StoredFile>>(
            async (connection, transaction, ct) =>
            {
                var copies = new List<StoredFile>();
                var seen = new HashSet<Guid>();
                foreach (var (column, value) in MediaHashes(sha256, md5, pdq))
                {
                    var rows = await _dialect
                        .Command(connection, transaction, $"""
                            SELECT {_fileColumns} FROM files f
                            WHERE f.{column} = @value AND f.id <> @excluding AND f.current_decision_id IS NULL
                            ORDER BY f.report_id, f.ordinal
                            LIMIT @limit;
                            """)
                        .With("@value", value)
                        .With("@excluding", excludingFileId)
                        .With("@limit", limit)
                        .ListAsync(StoredRows.ReadFile, ct)
                        .ConfigureAwait(false);
                    foreach (var row in rows)
                    {
                        if (copies.Count < limit && seen.Add(row.Id))
                        {
                            copies.Add(row);
                        }
                    }
                }

                return copies;
            },
            cancellationToken);
    }

    public Task<(ReportClaim Claim, bool Granted)?> TryClaimAsync(Guid reportId, string claimant, DateTimeOffset at, DateTimeOffset until, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claimant);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync<(ReportClaim Claim, bool Granted)?>(
            async (connection, transaction, ct) =>
            {
                // The report's row is locked (where writers are concurrent), so the claim read is the one this write replaces.
                var row = await _dialect
                    .Command(connection, transaction, _selectClaimForUpdate)
                    .With("@id", reportId)
                    .FirstOrDefaultAsync(reader => (Found: true, Claim: StoredRows.ReadClaim(reader, reportId, 0)), ct)
                    .ConfigureAwait(false);
                if (!row.Found)
                {
                    return null;
                }

                var current = row.Claim is { } claim && claim.ExpiresAt > at ? claim : null;
                if (current is not null && !string.Equals(current.ClaimedBy, claimant, StringComparison.Ordinal))
                {
                    return (current, false);
                }

                // A renewal keeps when the claim began.
                var granted = new ReportClaim(reportId, claimant, current?.ClaimedAt ?? at, until);
                await _dialect
                    .Command(connection, transaction, "UPDATE reports SET claimed_by = @by, claimed_at = @at, claim_expires = @until WHERE id = @id;")
                    .With("@by", granted.ClaimedBy)
                    .With("@at", granted.ClaimedAt)
                    .With("@until", granted.ExpiresAt)
                    .With("@id", reportId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, ct).ConfigureAwait(false);
                return (granted, true);
            },
            cancellationToken);
    }

    public Task<bool> ReleaseClaimAsync(Guid reportId, string claimant, bool force, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claimant);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // Only a claim still in force can be ended; an expired one is already over.
                var released = await _dialect
                    .Command(connection, transaction, """
                        UPDATE reports SET claimed_by = NULL, claimed_at = NULL, claim_expires = NULL
                        WHERE id = @id AND claimed_by IS NOT NULL AND claim_expires > @now AND (@force OR claimed_by = @claimant);
                        """)
                    .With("@id", reportId)
                    .With("@now", _database.Time.GetUtcNow())
                    .With("@force", force)
                    .With("@claimant", claimant)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (released)
                {
                    await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, ct).ConfigureAwait(false);
                }

                return released;
            },
            cancellationToken);
    }

    public Task<ReportClaim?> GetClaimAsync(Guid reportId, DateTimeOffset at, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, "SELECT claimed_by, claimed_at, claim_expires FROM reports WHERE id = @id AND claimed_by IS NOT NULL AND claim_expires > @at;")
                .With("@id", reportId)
                .With("@at", at)
                .FirstOrDefaultAsync(reader => StoredRows.ReadClaim(reader, reportId, 0), ct),
            cancellationToken);

    public Task<Page<QueueItem>> QueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        QueueCursor? after = query.After is null ? null : QueueCursor.Decode(query.After);
        return _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // Only fixed fragments are appended; every value is a parameter.
                var sql = new StringBuilder(_selectQueue);
                var command = _dialect.Command(connection, transaction, string.Empty);
                command.With("@state", (int)query.State);
                RelationalReportStore.AppendPlaceAndListFilters(sql, command, query.JurisdictionQueue, query.Country, query.ListName);

                if (query.Reporter is { } reporter)
                {
                    sql.Append(_reporterFilter);
                    command.With("@reporter", reporter);
                }

                if (query.ExcludeClaimedByOthers)
                {
                    sql.Append(_claimsOfOthersFilter);
                    command.With("@viewer", query.Viewer);
                }

                if (after is { } cursor)
                {
                    if (cursor.Order != query.Order)
                    {
                        throw new ArgumentException("The queue cursor belongs to another order.", nameof(query));
                    }

                    AppendAfter(sql, command, cursor);
                }

                sql.Append(query.Order switch
                {
                    QueueOrder.Age => " ORDER BY r.received_at ASC, r.id ASC LIMIT @limit;",
                    QueueOrder.Files => " ORDER BY r.file_count DESC, r.received_at ASC, r.id ASC LIMIT @limit;",
                    _ => " ORDER BY r.score DESC, r.received_at ASC, r.id ASC LIMIT @limit;",
                });
                command.With("@at", at);
                command.With("@limit", limit + 1);
                command.CommandText = sql.ToString();
                var rows = await command
                    .ListAsync(
                        reader =>
                        {
                            var id = reader.GetGuid(0);
                            var claim = StoredRows.ReadClaim(reader, id, 16);
                            return new QueueItem
                            {
                                Report = StoredRows.ReadReportSummary(reader),
                                Score = StoredRows.ReadScore(reader, 10, fallbackAt: reader.GetInstant(3)),
                                ReporterOrganisation = reader.GetStringOrNull(14),

                                // COUNT(*) is a 64-bit integer in every database.
                                UndecidedFileCount = checked((int)reader.GetInt64(15)),
                                Claim = claim is not null && claim.ExpiresAt > at ? claim : null,
                                AssignedTo = reader.GetStringOrNull(19),
                            };
                        },
                        ct)
                    .ConfigureAwait(false);
                if (rows.Count <= limit)
                {
                    return new Page<QueueItem>(rows, null);
                }

                rows.RemoveAt(rows.Count - 1);
                var last = rows[^1];
                var key = query.Order switch
                {
                    QueueOrder.Age => 0,
                    QueueOrder.Files => last.Report.FileCount,
                    _ => last.Score.Value,
                };
                return new Page<QueueItem>(rows, new QueueCursor(query.Order, key, last.Report.ReceivedAt.UtcTicks, last.Report.Id).Encode());
            },
            cancellationToken);
    }

    /// <summary>The rows after <paramref name="cursor"/> in its order; every order ends oldest first, then by id.</summary>
    private void AppendAfter(StringBuilder sql, RelationalCommand command, QueueCursor cursor)
    {
        command.With("@afterTicks", cursor.ReceivedTicks).With("@afterId", cursor.Id);

        // (received_at, id) after the cursor's, written as the cursor's row being less than the report's.
        var later = _dialect.RowLessThan("@afterTicks", "@afterId", "r.received_at", "r.id");
        switch (cursor.Order)
        {
            case QueueOrder.Age:
                sql.Append(" AND r.received_at >= @afterTicks AND ").Append(later);
                break;
            case QueueOrder.Files:
                // The redundant first bound lets a scan start at the cursor's file count.
                sql.Append(" AND r.file_count <= @afterKey AND (r.file_count < @afterKey OR (r.file_count = @afterKey AND ").Append(later).Append("))");
                command.With("@afterKey", checked((int)cursor.Key));
                break;
            default:
                // The redundant first bound lets the queue index start at the cursor's score instead of the top.
                sql.Append(" AND r.score <= @afterKey AND (r.score < @afterKey OR (r.score = @afterKey AND ").Append(later).Append("))");
                command.With("@afterKey", cursor.Key);
                break;
        }
    }

    public Task<int> CountQueueAsync(QueueQuery query, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var sql = new StringBuilder("SELECT COUNT(*) FROM reports r WHERE r.review_state = @state");
                var command = _dialect.Command(connection, transaction, string.Empty);
                command.With("@state", (int)query.State);
                RelationalReportStore.AppendPlaceAndListFilters(sql, command, query.JurisdictionQueue, query.Country, query.ListName);
                if (query.Reporter is { } reporter)
                {
                    sql.Append(_reporterFilter);
                    command.With("@reporter", reporter);
                }

                if (query.ExcludeClaimedByOthers)
                {
                    sql.Append(_claimsOfOthersFilter);
                    command.With("@viewer", query.Viewer);
                    command.With("@at", at);
                }

                sql.Append(';');
                command.CommandText = sql.ToString();
                return checked((int)Convert.ToInt64(await command.ScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture));
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<MediaHashRow>> ReadMediaFilesAsync(IReadOnlyList<long> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<MediaHashRow>>([]);
        }

        return _database.ReadAsync<IReadOnlyList<MediaHashRow>>(
            async (connection, transaction, ct) =>
            {
                const int Chunk = 100;
                var rows = new List<MediaHashRow>(sequences.Count);
                for (var start = 0; start < sequences.Count; start += Chunk)
                {
                    var end = Math.Min(sequences.Count, start + Chunk);
                    var sql = new StringBuilder("SELECT media_seq, id, report_id, pdq, COALESCE(pdq_quality, 0) FROM files WHERE media_seq IN (");
                    for (var i = start; i < end; i++)
                    {
                        sql.Append(i == start ? "@s" : ", @s").Append((i - start).ToString(CultureInfo.InvariantCulture));
                    }

                    var command = _dialect.Command(connection, transaction, sql.Append(");").ToString());
                    for (var i = start; i < end; i++)
                    {
                        command = command.With("@s" + (i - start).ToString(CultureInfo.InvariantCulture), sequences[i]);
                    }

                    rows.AddRange(await command
                        .ListAsync(reader => new MediaHashRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetInt32(4)), ct)
                        .ConfigureAwait(false));
                }

                return rows;
            },
            cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// With one writer, sequences are assigned in commit order and a plain read is enough. Where transactions may
    /// commit out of sequence order, a follower reading while sequence 7 is still uncommitted could see 8, move its
    /// cursor past 7 and never see it. So that no follower ever needs to look back, this then returns only rows below
    /// a safe horizon: every transaction that takes a sequence holds the media sequence lock shared until it ends; this
    /// takes it exclusively (waiting for those writers to commit or roll back, and briefly holding new ones back), then
    /// reads. At that moment no sequence is held by an open transaction: every one taken so far is committed (or was
    /// rolled back and never appears), and every writer after this read gets a higher one. The cost: a follower waits
    /// for the writers in flight (a report completion is one short transaction).
    /// </remarks>
    public Task<IReadOnlyList<MediaHashRow>> ReadMediaHashesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (_dialect.MediaSequencesCommitInOrder)
        {
            return _database.ReadAsync((connection, transaction, ct) => ReadMediaHashesAsync(connection, transaction, afterSequence, limit, ct), cancellationToken);
        }

        // A write transaction (READ COMMITTED): each statement takes a fresh snapshot, so the read after the lock sees
        // what the writers committed.
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await _dialect.LockMediaSequenceAsync(connection, transaction, exclusive: true, ct).ConfigureAwait(false);
                return await ReadMediaHashesAsync(connection, transaction, afterSequence, limit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<Guid>> ListOpenReportsAsync(Guid? afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _database.ReadAsync<IReadOnlyList<Guid>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    SELECT id FROM reports
                    WHERE status = @processed AND review_state IN (@untriaged, @awaiting) AND (@after IS NULL OR id > @after)
                    ORDER BY id LIMIT @limit;
                    """)
                .With("@processed", (int)ReportStatus.Processed)
                .With("@untriaged", (int)ReviewState.Untriaged)
                .With("@awaiting", (int)ReviewState.AwaitingReview)
                .With("@after", afterId)
                .With("@limit", limit)
                .ListAsync(reader => reader.GetGuid(0), ct)
                .ConfigureAwait(false),
            cancellationToken);
    }

    public Task<DecisionStatistics> GetDecisionStatisticsAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) => (await connection
                .Command(transaction, _selectStatistics)
                .FirstOrDefaultAsync(reader => new DecisionStatistics(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)), ct)
                .ConfigureAwait(false))!,
            cancellationToken);

    private static void RequireKind(LeasedJob job, string kind)
    {
        if (!string.Equals(job.Kind, kind, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Job {job.Id} is a '{job.Kind}' job, not a '{kind}' job.", nameof(job));
        }
    }

    /// <summary>The hashes to look copies up by, strongest first; identical PDQ only when given.</summary>
    private static List<(string Column, string Value)> MediaHashes(string? sha256, string? md5, string? pdq)
    {
        var hashes = new List<(string, string)>(3);
        if (!string.IsNullOrEmpty(sha256))
        {
            hashes.Add(("sha256", sha256));
        }

        if (!string.IsNullOrEmpty(md5))
        {
            hashes.Add(("md5", md5));
        }

        if (!string.IsNullOrEmpty(pdq))
        {
            hashes.Add(("pdq", pdq));
        }

        return hashes;
    }

    /// <summary>The id in the order both databases sort ids: PostgreSQL's uuid byte by byte, SQLite's lowercase text.</summary>
    private static string OrderKey(Guid id) => id.ToString("D", CultureInfo.InvariantCulture);

    private async Task<IReadOnlyList<MediaHashRow>> ReadMediaHashesAsync(DbConnection connection, DbTransaction transaction, long afterSequence, int limit, CancellationToken cancellationToken) =>
        await _dialect
            .Command(connection, transaction, """
                SELECT media_seq, id, report_id, pdq, COALESCE(pdq_quality, 0) FROM files
                WHERE media_seq > @after ORDER BY media_seq LIMIT @limit;
                """)
            .With("@after", afterSequence)
            .With("@limit", limit)
            .ListAsync(reader => new MediaHashRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetString(3), reader.GetInt32(4)), cancellationToken)
            .ConfigureAwait(false);

    /// <summary>Locks the rows of the files about to be decided (see <see cref="SqlDialect.LockFilesAsync"/>).</summary>
    private Task LockFilesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<NewDecision> decisions, CancellationToken cancellationToken)
    {
        if (decisions.Count == 0)
        {
            return Task.CompletedTask;
        }

        var ids = new Guid[decisions.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = decisions[i].FileId;
        }

        return _dialect.LockFilesAsync(connection, transaction, ids, cancellationToken);
    }

    private async Task ReplaceKeysAsync(DbConnection connection, DbTransaction transaction, Guid reportId, IReadOnlyList<LinkKey> keys, CancellationToken cancellationToken)
    {
        await _dialect.Command(connection, transaction, "DELETE FROM report_keys WHERE report_id = @report;").With("@report", reportId).RunAsync(cancellationToken).ConfigureAwait(false);
        if (keys.Count == 0)
        {
            return;
        }

        var batch = new StatementBatch(_dialect, connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            var insert = batch.Statement(
                "INSERT INTO report_keys (report_id, kind, value, file_id) VALUES (@report, @kind, @value, @file);",
                ("@report", SqlType.Uuid),
                ("@kind", SqlType.Integer),
                ("@value", SqlType.Text),
                ("@file", SqlType.Uuid));
            foreach (var key in keys)
            {
                insert.Set(0, reportId);
                insert.Set(1, (int)key.Kind);
                insert.Set(2, key.Value);
                insert.Set(3, key.FileId);
                await insert.AddRowAsync(cancellationToken).ConfigureAwait(false);
            }

            await batch.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a decision revising the file's current one and makes it current. An automatic decision (not
    /// <see cref="DecisionSource.Analyst"/>) is skipped when an analyst's decision is current, or when the current one
    /// is the same automatic decision already (so a re-run stores it once).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file does not exist.</exception>
    private async Task<(Guid ReportId, FileDecision? Stored)> InsertDecisionAsync(DbConnection connection, DbTransaction transaction, NewDecision decision, CancellationToken cancellationToken)
    {
        // Locks the file row first (where writers are concurrent), in a statement of its own: the next statement then
        // reads the current decision a concurrent decider committed while this one waited.
        await _dialect.LockFileAsync(connection, transaction, decision.FileId, cancellationToken).ConfigureAwait(false);
        var file = await _dialect
            .Command(connection, transaction, """
                SELECT f.report_id, d.id, d.source, d.category, d.based_on, d.based_on_file
                FROM files f LEFT JOIN decisions d ON d.id = f.current_decision_id
                WHERE f.id = @file;
                """)
            .With("@file", decision.FileId)
            .FirstOrDefaultAsync(
                reader => (
                    Found: true,
                    ReportId: reader.GetGuid(0),
                    Current: reader.GetInt64OrNull(1),
                    Source: reader.IsDBNull(2) ? (DecisionSource?)null : (DecisionSource)reader.GetInt32(2),
                    Category: reader.IsDBNull(3) ? (DecisionCategory?)null : (DecisionCategory)reader.GetInt32(3),
                    BasedOn: reader.GetInt64OrNull(4),
                    BasedOnFile: reader.GetGuidOrNull(5)),
                cancellationToken)
            .ConfigureAwait(false);
        if (!file.Found)
        {
            throw new KeyNotFoundException($"There is no file {decision.FileId}.");
        }

        if (decision.Source != DecisionSource.Analyst && file.Current is not null)
        {
            var sameAgain = file.Source == decision.Source && file.Category == decision.Category && file.BasedOn == decision.BasedOn && file.BasedOnFile == decision.BasedOnFileId;
            if (file.Source == DecisionSource.Analyst || sameAgain)
            {
                return (file.ReportId, null);
            }
        }

        var id = Convert.ToInt64(
            await _dialect
                .Command(connection, transaction, """
                    INSERT INTO decisions (file_id, report_id, category, note, source, actor, at, revises, based_on, based_on_file, based_on_reason)
                    VALUES (@file, @report, @category, @note, @source, @actor, @at, @revises, @basedOn, @basedOnFile, @reason)
                    RETURNING id;
                    """)
                .With("@file", decision.FileId)
                .With("@report", file.ReportId)
                .With("@category", (int)decision.Category)
                .With("@note", decision.Note)
                .With("@source", (int)decision.Source)
                .With("@actor", decision.Actor)
                .With("@at", decision.At)
                .With("@revises", file.Current)
                .With("@basedOn", decision.BasedOn)
                .With("@basedOnFile", decision.BasedOnFileId)
                .With("@reason", decision.BasedOnReason)
                .ScalarAsync(cancellationToken)
                .ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        await _dialect
            .Command(connection, transaction, "UPDATE files SET current_decision_id = @decision WHERE id = @file;")
            .With("@decision", id)
            .With("@file", decision.FileId)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return (file.ReportId, new FileDecision
        {
            Id = id,
            FileId = decision.FileId,
            ReportId = file.ReportId,
            Category = decision.Category,
            Note = decision.Note,
            Source = decision.Source,
            Actor = decision.Actor,
            At = decision.At,
            Revises = file.Current,
            BasedOn = decision.BasedOn,
            BasedOnFileId = decision.BasedOnFileId,
            BasedOnReason = decision.BasedOnReason,
        });
    }

    private Task<int> StoreScoreAsync(DbConnection connection, DbTransaction transaction, Guid reportId, PriorityScore score, CancellationToken cancellationToken) =>
        _dialect
            .Command(connection, transaction, "UPDATE reports SET score = @score, score_reasons = @reasons, review_state = @state, scored_at = @at WHERE id = @id;")
            .With("@score", score.Value)
            .WithJson("@reasons", DocumentJson.SerializeOrNull(score.Reasons))
            .With("@state", (int)score.State)
            .With("@at", score.ComputedAt)
            .With("@id", reportId)
            .RunAsync(cancellationToken);
}
