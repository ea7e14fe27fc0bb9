using System.Data.Common;
using System.Globalization;
using Needle.Core.Jobs;
using Needle.Core.Lists;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// The job queue in the jobs table. States: pending (waiting, or waiting to retry until available_at), leased (a worker
/// holds it until leased_until), done, failed (parked after too many attempts). Leasing takes the due job of the highest priority, oldest first, from every lane or from one (where
/// writers are concurrent, skipping jobs locked by others, so workers pass each other). Every change of a leased job
/// is conditional on its lease token, so a worker that lost its lease can change nothing.
/// </summary>
internal sealed class RelationalJobQueue : IJobQueue
{
    private readonly RelationalDatabase _database;
    private readonly SqlDialect _dialect;
    private readonly string _selectLeased;
    private readonly string _releaseAbandoned;

    public RelationalJobQueue(RelationalDatabase database)
    {
        _database = database;
        _dialect = database.Dialect;

        // A job being completed or renewed right now is alive, whatever its holder's name says: skip it.
        _selectLeased = $"SELECT id, leased_by, lease_token FROM jobs WHERE state = 'leased'{_dialect.ForUpdateSkipLocked};";
        _releaseAbandoned = $"""
            UPDATE jobs SET state = 'pending', available_at = @now, leased_by = NULL, lease_token = NULL, leased_until = NULL,
                last_error = @reason
            WHERE id = @id AND state = 'leased' AND {_dialect.IsNotDistinctFrom("lease_token", "@token")};
            """;
    }

    public Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default) =>
        LeaseAsync(workerId, leaseDuration, null, cancellationToken);

    public Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, int lane, CancellationToken cancellationToken) =>
        LeaseAsync(workerId, leaseDuration, lane, cancellationToken);

    private Task<LeasedJob?> LeaseAsync(string workerId, TimeSpan leaseDuration, int? lane, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();
                while (true)
                {
                    var query = _dialect.Command(connection, transaction, lane is null ? _dialect.DueJobQuery : _dialect.DueJobInLaneQuery).With("@now", now);
                    if (lane is { } only)
                    {
                        query = query.With("@lane", only);
                    }

                    var candidate = await query
                        .FirstOrDefaultAsync(reader => (Id: reader.GetInt64(0), Attempts: reader.GetInt32(1)), ct)
                        .ConfigureAwait(false);
                    if (candidate == default)
                    {
                        return null;
                    }

                    if (candidate.Attempts >= _database.MaxJobAttempts)
                    {
                        // Its workers keep dying on it (a lease expires only when nobody completes or releases it): park it.
                        await _dialect
                            .Command(connection, transaction, """
                                UPDATE jobs SET state = 'failed', finished_at = @now, leased_by = NULL, lease_token = NULL, leased_until = NULL,
                                    last_error = 'the lease expired after the last allowed attempt' || COALESCE(' (last error: ' || last_error || ')', '')
                                WHERE id = @id;
                                """)
                            .With("@now", now)
                            .With("@id", candidate.Id)
                            .RunAsync(ct)
                            .ConfigureAwait(false);
                        continue;
                    }

                    var token = Guid.NewGuid();
                    var until = now + leaseDuration;
                    return await _dialect
                        .Command(connection, transaction, """
                            UPDATE jobs SET state = 'leased', attempts = attempts + 1, leased_by = @worker, lease_token = @token, leased_until = @until
                            WHERE id = @id
                            RETURNING id, kind, subject_id, attempts;
                            """)
                        .With("@worker", workerId)
                        .With("@token", token)
                        .With("@until", until)
                        .With("@id", candidate.Id)
                        .FirstOrDefaultAsync(reader => new LeasedJob(reader.GetInt64(0), reader.GetString(1), reader.GetGuid(2), token, reader.GetInt32(3), until), ct)
                        .ConfigureAwait(false);
                }
            },
            cancellationToken);
    }

    public Task<bool> RenewAsync(LeasedJob job, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        return _database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "UPDATE jobs SET leased_until = @until WHERE id = @id AND state = 'leased' AND lease_token = @token;")
                .With("@until", _database.Time.GetUtcNow() + leaseDuration)
                .With("@id", job.Id)
                .With("@token", job.LeaseToken)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);
    }

    public Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, CancellationToken cancellationToken = default) =>
        CompleteReportAsync(job, results, null, cancellationToken);

    public Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, ReportJurisdiction? jurisdiction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(results);
        if (!string.Equals(job.Kind, JobKinds.ProcessReport, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Job {job.Id} is a '{job.Kind}' job, not a '{JobKinds.ProcessReport}' job.", nameof(job));
        }

        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();

                // Closing the job first takes its row lock: a concurrent lease, renewal or release of the same job waits
                // for this transaction, and if the token no longer matches nothing at all is written.
                var closed = await _dialect
                    .Command(connection, transaction, """
                        UPDATE jobs SET state = 'done', finished_at = @now, leased_until = NULL, last_error = NULL
                        WHERE id = @id AND state = 'leased' AND lease_token = @token;
                        """)
                    .With("@now", now)
                    .With("@id", job.Id)
                    .With("@token", job.LeaseToken)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                if (closed != 1)
                {
                    return false;
                }

                if (HasPdq(results))
                {
                    // Shared: writers do not wait for each other; only a follower fixing its horizon waits for them.
                    await _dialect.LockMediaSequenceAsync(connection, transaction, exclusive: false, ct).ConfigureAwait(false);
                }

                foreach (var result in results)
                {
                    await WriteFileResultAsync(connection, transaction, job.SubjectId, result, ct).ConfigureAwait(false);
                }

                await CountEntryMatchesAsync(connection, transaction, results, now, ct).ConfigureAwait(false);
                await MarkProcessedAsync(connection, transaction, job.SubjectId, jurisdiction, now, ct).ConfigureAwait(false);

                // Every processed report is triaged: its job is part of the same commit.
                await EnqueueAsync(_database, connection, transaction, JobKinds.TriageReport, job.SubjectId, now, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    // The lease counted an attempt; an uncounted release gives it back (a failure outside the job never parks it).
    private const string ReleaseCounted = """
        UPDATE jobs SET
            state = CASE WHEN attempts >= @max THEN 'failed' ELSE 'pending' END,
            finished_at = CASE WHEN attempts >= @max THEN @now END,
            available_at = @available,
            last_error = @error,
            leased_by = NULL, lease_token = NULL, leased_until = NULL
        WHERE id = @id AND state = 'leased' AND lease_token = @token;
        """;

    private const string ReleaseUncounted = """
        UPDATE jobs SET
            state = 'pending',
            attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,
            finished_at = NULL,
            available_at = @available,
            last_error = @error,
            leased_by = NULL, lease_token = NULL, leased_until = NULL
        WHERE id = @id AND state = 'leased' AND lease_token = @token;
        """;

    public Task ReleaseAsync(LeasedJob job, string reason, TimeSpan retryAfter, CancellationToken cancellationToken = default) =>
        ReleaseAsync(job, reason, retryAfter, countAttempt: true, cancellationToken);

    public Task ReleaseUncountedAsync(LeasedJob job, string reason, TimeSpan retryAfter, CancellationToken cancellationToken = default) =>
        ReleaseAsync(job, reason, retryAfter, countAttempt: false, cancellationToken);

    private Task<int> ReleaseAsync(LeasedJob job, string reason, TimeSpan retryAfter, bool countAttempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(reason);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = _database.Time.GetUtcNow();

                // A stale release (the lease was lost) changes nothing: the job belongs to its new holder.
                var command = _dialect.Command(connection, transaction, countAttempt ? ReleaseCounted : ReleaseUncounted);
                if (countAttempt)
                {
                    command = command.With("@max", _database.MaxJobAttempts).With("@now", now);
                }

                return await command
                    .With("@available", now + (retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter))
                    .With("@error", reason)
                    .With("@id", job.Id)
                    .With("@token", job.LeaseToken)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> CompleteAsync(LeasedJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return _database.WriteAsync(
            (connection, transaction, ct) => CloseLiveLeaseAsync(_database, connection, transaction, job, _database.Time.GetUtcNow(), ct),
            cancellationToken);
    }

    public Task<bool> EnqueueAsync(string kind, Guid subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        return _database.WriteAsync(
            (connection, transaction, ct) => EnqueueAsync(_database, connection, transaction, kind, subjectId, _database.Time.GetUtcNow(), ct),
            cancellationToken);
    }

    public Task<int> CountOpenAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) => Convert.ToInt32(
                await connection.Command(transaction, "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'leased');").ScalarAsync(ct).ConfigureAwait(false),
                CultureInfo.InvariantCulture),
            cancellationToken);

    public Task<IReadOnlyList<QueueDepth>> GetDepthAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<QueueDepth>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, $"""
                    SELECT lane, priority, {_dialect.CountWhere("state = 'pending'")}, {_dialect.CountWhere("state = 'leased'")},
                        MIN(CASE WHEN state = 'pending' THEN created_at END)
                    FROM jobs WHERE state IN ('pending', 'leased')
                    GROUP BY lane, priority ORDER BY lane, priority DESC;
                    """)
                .ListAsync(
                    reader => new QueueDepth(
                        reader.GetInt32(0),
                        reader.GetInt32(1),
                        Convert.ToInt32(reader.GetValue(2), CultureInfo.InvariantCulture),
                        Convert.ToInt32(reader.GetValue(3), CultureInfo.InvariantCulture),
                        reader.IsDBNull(4) ? null : reader.GetInstant(4)),
                    ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isAbandoned);
        ArgumentNullException.ThrowIfNull(reason);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var leased = await connection
                    .Command(transaction, _selectLeased)
                    .ListAsync(reader => (Id: reader.GetInt64(0), By: reader.GetStringOrNull(1), Token: reader.GetGuidOrNull(2)), ct)
                    .ConfigureAwait(false);
                var now = _database.Time.GetUtcNow();
                var released = 0;
                foreach (var job in leased)
                {
                    if (job.By is null || !isAbandoned(job.By))
                    {
                        continue;
                    }

                    // Pending again and due now; attempts is kept, so a job that crashes its worker every time is still parked.
                    released += await _dialect
                        .Command(connection, transaction, _releaseAbandoned)
                        .With("@now", now)
                        .With("@reason", $"{reason} (worker {job.By})")
                        .With("@id", job.Id)
                        .With("@token", job.Token)
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                return released;
            },
            cancellationToken);
    }

    /// <summary>
    /// Inserts a job due now inside the caller's write transaction, unless one of the same kind and subject is pending
    /// (not leased yet: a leased one may have read its inputs already, so a new one is needed). True when inserted.
    /// Where writers are concurrent, a lock on the kind and subject makes them take turns, and the check after it sees
    /// what the one before committed.
    /// </summary>
    internal static async Task<bool> EnqueueAsync(RelationalDatabase database, DbConnection connection, DbTransaction transaction, string kind, Guid subjectId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await database.Dialect.LockJobSubjectAsync(connection, transaction, kind, subjectId, cancellationToken).ConfigureAwait(false);
        return await database.Dialect
            .Command(connection, transaction, """
                INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at, priority)
                SELECT @kind, @subject, 'pending', 0, @now, @now,
                    COALESCE((SELECT CASE WHEN escalate THEN @escalated ELSE @normal END FROM reports WHERE id = @subject), @normal)
                WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE subject_id = @subject AND kind = @kind AND state = 'pending');
                """)
            .With("@kind", kind)
            .With("@subject", subjectId)
            .With("@now", now)
            .With("@escalated", JobPriority.Escalated)
            .With("@normal", JobPriority.Normal)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Marks a job done inside the caller's transaction if it is still leased under its token and its lease has not run
    /// out by the store's clock (a lease that ran out may be taken by another worker at any moment). Done first, so the
    /// job's row lock is held: a concurrent lease of the same job waits, and when this returns false nothing else
    /// should be written.
    /// </summary>
    internal static async Task<bool> CloseLiveLeaseAsync(RelationalDatabase database, DbConnection connection, DbTransaction transaction, LeasedJob job, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.Dialect
            .Command(connection, transaction, """
                UPDATE jobs SET state = 'done', finished_at = @now, leased_until = NULL, last_error = NULL
                WHERE id = @id AND state = 'leased' AND lease_token = @token AND leased_until >= @now;
                """)
            .With("@now", now)
            .With("@id", job.Id)
            .With("@token", job.LeaseToken)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false) == 1;

    /// <summary>Marks a report processed at <paramref name="processedAt"/> with its matched-file count and jurisdiction.</summary>
    internal Task<int> MarkProcessedAsync(DbConnection connection, DbTransaction transaction, Guid reportId, ReportJurisdiction? jurisdiction, DateTimeOffset processedAt, CancellationToken ct) =>
        _dialect
            .Command(connection, transaction, """
                UPDATE reports SET status = @processed, processed_at = @now,
                    matched_file_count = (SELECT COUNT(DISTINCT file_id) FROM matches WHERE report_id = @report AND NOT allow_list),
                    jurisdiction = @jurisdiction, jurisdiction_queue = @queue,
                    jurisdiction_country = @country, jurisdiction_region = @region
                WHERE id = @report;
                """)
            .With("@processed", (int)ReportStatus.Processed)
            .WithJson("@jurisdiction", DocumentJson.SerializeOrNull(jurisdiction))
            .With("@queue", jurisdiction?.Queue)
            .With("@country", jurisdiction?.Country)
            .With("@region", jurisdiction?.Region)
            .With("@now", processedAt)
            .With("@report", reportId)
            .RunAsync(ct);

    internal static bool HasPdq(IReadOnlyList<FileResult> results)
    {
        foreach (var result in results)
        {
            if (result.Pdq is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the files each list entry matched to its count for the hour (the flood guard reads them), in the
    /// transaction that records the matches: counted once per completion, on whichever node completes. Rows are
    /// touched in key order so concurrent completions cannot deadlock on them.
    /// </summary>
    private async Task CountEntryMatchesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<FileResult> results, DateTimeOffset now, CancellationToken cancellationToken)
    {
        SortedDictionary<(string List, int Entry), long>? counts = null;
        var seen = new HashSet<(string, int)>();
        foreach (var result in results)
        {
            // A file counts once per entry, however many of its signals or frames matched it.
            seen.Clear();
            foreach (var match in result.Matches)
            {
                if (seen.Add((match.ListName, match.EntryId)))
                {
                    counts ??= new SortedDictionary<(string, int), long>(EntryKeyOrder.Instance);
                    counts[(match.ListName, match.EntryId)] = counts.GetValueOrDefault((match.ListName, match.EntryId)) + 1;
                }
            }
        }

        if (counts is null)
        {
            return;
        }

        var bucket = EntryMatchRate.BucketOf(now);
        foreach (var ((list, entry), count) in counts)
        {
            await _dialect
                .Command(connection, transaction, """
                    INSERT INTO entry_match_counts (list_name, entry_id, bucket, matches) VALUES (@list, @entry, @bucket, @count)
                    ON CONFLICT (list_name, entry_id, bucket) DO UPDATE SET matches = entry_match_counts.matches + excluded.matches;
                    """)
                .With("@list", list)
                .With("@entry", entry)
                .With("@bucket", bucket)
                .With("@count", count)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>Orders (list, entry) keys by ordinal list name, then entry id.</summary>
    private sealed class EntryKeyOrder : IComparer<(string List, int Entry)>
    {
        public static readonly EntryKeyOrder Instance = new();

        public int Compare((string List, int Entry) x, (string List, int Entry) y)
        {
            var byList = string.CompareOrdinal(x.List, y.List);
            return byList != 0 ? byList : x.Entry.CompareTo(y.Entry);
        }
    }

    /// <summary>
    /// Writes one file's results and replaces its matches (so running a job twice leaves one set). A file with a PDQ
    /// takes the next media sequence (with one writer, sequence order is commit order; otherwise the caller holds the
    /// media sequence lock, shared).
    /// </summary>
    internal async Task WriteFileResultAsync(DbConnection connection, DbTransaction transaction, Guid reportId, FileResult result, CancellationToken cancellationToken)
    {
        var updated = await _dialect
            .Command(connection, transaction, $"""
                UPDATE files SET state = @state, error = @error, md5 = @md5, sha1 = @sha1, sha256 = @sha256, pdq = @pdq,
                    pdq_quality = @quality, width = @width, height = @height, format = @format,
                    clues = @clues, gps_country = @gpsCountry, video = @video,
                    media_seq = CASE WHEN @pdq IS NULL THEN NULL ELSE {_dialect.NextMediaSequence} END
                WHERE id = @id AND report_id = @report;
                """)
            .With("@state", (int)result.State)
            .With("@error", result.Error)
            .With("@md5", result.Md5)
            .With("@sha1", result.Sha1)
            .With("@sha256", result.Sha256)
            .With("@pdq", result.Pdq)
            .With("@quality", result.PdqQuality)
            .With("@width", result.Width)
            .With("@height", result.Height)
            .With("@format", result.Format)
            .WithJson("@clues", DocumentJson.SerializeOrNull(result.Clues))
            .With("@gpsCountry", result.Clues?.Gps?.Country)
            .WithJson("@video", DocumentJson.SerializeOrNull(result.Video))
            .With("@id", result.FileId)
            .With("@report", reportId)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        if (updated != 1)
        {
            // Thrown inside the transaction: nothing of the completion is kept.
            throw new InvalidOperationException($"File {result.FileId} is not a file of report {reportId}.");
        }

        await _dialect.Command(connection, transaction, "DELETE FROM matches WHERE file_id = @id;").With("@id", result.FileId).RunAsync(cancellationToken).ConfigureAwait(false);
        if (result.Matches.Count == 0)
        {
            return;
        }

        var batch = new StatementBatch(_dialect, connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            var insert = batch.Statement(
                """
                INSERT INTO matches (file_id, ordinal, report_id, list_name, entry_id, label, category, signal, value, distance, transform, allow_list, video, robust)
                VALUES (@file, @ordinal, @report, @list, @entry, @label, @category, @signal, @value, @distance, @transform, @allow, @video, @robust);
                """,
                ("@file", SqlType.Uuid),
                ("@ordinal", SqlType.Integer),
                ("@report", SqlType.Uuid),
                ("@list", SqlType.Text),
                ("@entry", SqlType.Integer),
                ("@label", SqlType.Text),
                ("@category", SqlType.Text),
                ("@signal", SqlType.Text),
                ("@value", SqlType.Text),
                ("@distance", SqlType.Real),
                ("@transform", SqlType.Text),
                ("@allow", SqlType.Flag),
                ("@video", SqlType.Json),
                ("@robust", SqlType.Json));
            for (var i = 0; i < result.Matches.Count; i++)
            {
                var match = result.Matches[i];
                insert.Set(0, result.FileId);
                insert.Set(1, i);
                insert.Set(2, reportId);
                insert.Set(3, match.ListName);
                insert.Set(4, match.EntryId);
                insert.Set(5, match.Label);
                insert.Set(6, match.Category);
                insert.Set(7, match.SignalType);
                insert.Set(8, match.Value);
                insert.Set(9, match.Distance);
                insert.Set(10, match.Transform);
                insert.Set(11, match.AllowList);
                insert.Set(12, DocumentJson.SerializeOrNull(match.Video));
                insert.Set(13, DocumentJson.SerializeOrNull(match.Robust));
                await insert.AddRowAsync(cancellationToken).ConfigureAwait(false);
            }

            await batch.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
