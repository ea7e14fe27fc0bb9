using System.Globalization;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Needle.Storage.Postgres;

/// <summary>
/// The job queue in the jobs table. States: pending (waiting, or waiting to retry until available_at), leased (a worker
/// holds it until leased_until), done, failed (parked after too many attempts). Leasing locks the candidate row with
/// FOR UPDATE SKIP LOCKED, so concurrent workers (in any process) pass each other instead of queueing on one row. Every
/// change of a leased job is conditional on its lease token, so a worker that lost its lease can change nothing.
/// </summary>
internal sealed class PostgresJobQueue(PostgresDatabase database) : IJobQueue
{
    public Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();
                while (true)
                {
                    // The oldest job that is due: pending and available, or leased by a worker whose lease ran out.
                    var candidate = await connection
                        .Command(transaction, """
                            SELECT id, attempts FROM jobs
                            WHERE (state = 'pending' AND available_at <= @now) OR (state = 'leased' AND leased_until < @now)
                            ORDER BY id LIMIT 1
                            FOR UPDATE SKIP LOCKED;
                            """)
                        .With("@now", now)
                        .FirstOrDefaultAsync(reader => (Id: reader.GetInt64(0), Attempts: reader.GetInt32(1)), ct)
                        .ConfigureAwait(false);
                    if (candidate == default)
                    {
                        return null;
                    }

                    if (candidate.Attempts >= database.Options.MaxJobAttempts)
                    {
                        // Its workers keep dying on it (a lease expires only when nobody completes or releases it): park it.
                        await connection
                            .Command(transaction, """
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
                    return await connection
                        .Command(transaction, """
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
        return database.WriteAsync(
            async (connection, transaction, ct) => await connection
                .Command(transaction, "UPDATE jobs SET leased_until = @until WHERE id = @id AND state = 'leased' AND lease_token = @token;")
                .With("@until", database.Time.GetUtcNow() + leaseDuration)
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

        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();

                // Closing the job first takes its row lock: a concurrent lease, renewal or release of the same job waits
                // for this transaction, and if the token no longer matches nothing at all is written.
                var closed = await connection
                    .Command(transaction, """
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
                    await connection
                        .Command(transaction, "SELECT pg_advisory_xact_lock_shared(@key);")
                        .With("@key", Migrations.MediaSequenceLockKey)
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                foreach (var result in results)
                {
                    await WriteFileResultAsync(connection, transaction, job.SubjectId, result, ct).ConfigureAwait(false);
                }

                await connection
                    .Command(transaction, """
                        UPDATE reports SET status = @processed, processed_at = @now,
                            matched_file_count = (SELECT COUNT(DISTINCT file_id) FROM matches WHERE report_id = @report AND NOT allow_list),
                            jurisdiction = @jurisdiction, jurisdiction_queue = @queue,
                            jurisdiction_country = @country, jurisdiction_region = @region
                        WHERE id = @report;
                        """)
                    .With("@processed", (int)ReportStatus.Processed)
                    .WithJson("@jurisdiction", DocumentJson.SerializeOrNull(jurisdiction))
                    .With("@queue", NpgsqlDbType.Text, jurisdiction?.Queue)
                    .With("@country", NpgsqlDbType.Text, jurisdiction?.Country)
                    .With("@region", NpgsqlDbType.Text, jurisdiction?.Region)
                    .With("@now", now)
                    .With("@report", job.SubjectId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);

                // Every processed report is triaged: its job is part of the same commit.
                await EnqueueAsync(connection, transaction, JobKinds.TriageReport, job.SubjectId, now, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task ReleaseAsync(LeasedJob job, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(error);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();

                // A stale release (the lease was lost) changes nothing: the job belongs to its new holder.
                return await connection
                    .Command(transaction, """
                        UPDATE jobs SET
                            state = CASE WHEN attempts >= @max THEN 'failed' ELSE 'pending' END,
                            finished_at = CASE WHEN attempts >= @max THEN @now END,
                            available_at = @available,
                            last_error = @error,
                            leased_by = NULL, lease_token = NULL, leased_until = NULL
                        WHERE id = @id AND state = 'leased' AND lease_token = @token;
                        """)
                    .With("@max", database.Options.MaxJobAttempts)
                    .With("@now", NpgsqlDbType.Bigint, now)
                    .With("@available", now + (retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter))
                    .With("@error", error)
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
        return database.WriteAsync(
            (connection, transaction, ct) => CloseLiveLeaseAsync(connection, transaction, job, database.Time.GetUtcNow(), ct),
            cancellationToken);
    }

    public Task<bool> EnqueueAsync(string kind, Guid subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        return database.WriteAsync(
            (connection, transaction, ct) => EnqueueAsync(connection, transaction, kind, subjectId, database.Time.GetUtcNow(), ct),
            cancellationToken);
    }

    /// <summary>
    /// Inserts a job due now inside the caller's (READ COMMITTED) transaction, unless one of the same kind and subject
    /// is pending (not leased yet: a leased one may have read its inputs already, so a new one is needed). True when
    /// inserted. A transaction-level advisory lock on the kind and subject makes concurrent callers take turns, and the
    /// check after it sees what the one before committed.
    /// </summary>
    internal static async Task<bool> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string kind, Guid subjectId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection
            .Command(transaction, "SELECT pg_advisory_xact_lock(hashtext(@kind), hashtext(@subject::text));")
            .With("@kind", kind)
            .With("@subject", subjectId)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return await connection
            .Command(transaction, """
                INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at)
                SELECT @kind, @subject, 'pending', 0, @now, @now
                WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE subject_id = @subject AND kind = @kind AND state = 'pending');
                """)
            .With("@kind", kind)
            .With("@subject", subjectId)
            .With("@now", now)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false) == 1;
    }

    /// <summary>
    /// Marks a job done inside the caller's transaction if it is still leased under its token and its lease has not run
    /// out by the store's clock. Done first, so the job's row lock is held: a concurrent lease of the same job waits,
    /// and when this returns false nothing else should be written.
    /// </summary>
    internal static async Task<bool> CloseLiveLeaseAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LeasedJob job, DateTimeOffset now, CancellationToken cancellationToken) =>
        await connection
            .Command(transaction, """
                UPDATE jobs SET state = 'done', finished_at = @now, leased_until = NULL, last_error = NULL
                WHERE id = @id AND state = 'leased' AND lease_token = @token AND leased_until >= @now;
                """)
            .With("@now", now)
            .With("@id", job.Id)
            .With("@token", job.LeaseToken)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false) == 1;

    public Task<int> CountOpenAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => Convert.ToInt32(
                await connection.Command(transaction, "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'leased');").ScalarAsync(ct).ConfigureAwait(false),
                CultureInfo.InvariantCulture),
            cancellationToken);

    public Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isAbandoned);
        ArgumentNullException.ThrowIfNull(reason);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // SKIP LOCKED: a job being completed or renewed right now is alive, whatever its holder's name says.
                var leased = await connection
                    .Command(transaction, "SELECT id, leased_by, lease_token FROM jobs WHERE state = 'leased' FOR UPDATE SKIP LOCKED;")
                    .ListAsync(reader => (Id: reader.GetInt64(0), By: reader.GetStringOrNull(1), Token: reader.IsDBNull(2) ? (Guid?)null : reader.GetGuid(2)), ct)
                    .ConfigureAwait(false);
                var now = database.Time.GetUtcNow();
                var released = 0;
                foreach (var job in leased.Where(j => j.By is not null && isAbandoned(j.By)))
                {
                    // Pending again and due now; attempts is kept, so a job that crashes its worker every time is still parked.
                    released += await connection
                        .Command(transaction, """
                            UPDATE jobs SET state = 'pending', available_at = @now, leased_by = NULL, lease_token = NULL, leased_until = NULL,
                                last_error = @reason
                            WHERE id = @id AND state = 'leased' AND lease_token IS NOT DISTINCT FROM @token;
                            """)
                        .With("@now", now)
                        .With("@reason", $"{reason} (worker {job.By})")
                        .With("@id", job.Id)
                        .With("@token", NpgsqlDbType.Uuid, job.Token)
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                return released;
            },
            cancellationToken);
    }

    private static bool HasPdq(IReadOnlyList<FileResult> results)
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
    /// Writes one file's results and replaces its matches (so running a job twice leaves one set). A file with a PDQ
    /// takes the next media sequence (the caller holds the media sequence lock, shared).
    /// </summary>
    private static async Task WriteFileResultAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid reportId, FileResult result, CancellationToken cancellationToken)
    {
        var updated = await connection
            .Command(transaction, """
                UPDATE files SET state = @state, error = @error, md5 = @md5, sha1 = @sha1, sha256 = @sha256, pdq = @pdq,
                    pdq_quality = @quality, width = @width, height = @height, format = @format,
                    clues = @clues, gps_country = @gpsCountry, video = @video,
                    media_seq = CASE WHEN @pdq IS NULL THEN NULL ELSE nextval('files_media_seq') END
                WHERE id = @id AND report_id = @report;
                """)
            .With("@state", (int)result.State)
            .With("@error", NpgsqlDbType.Text, result.Error)
            .With("@md5", NpgsqlDbType.Text, result.Md5)
            .With("@sha1", NpgsqlDbType.Text, result.Sha1)
            .With("@sha256", NpgsqlDbType.Text, result.Sha256)
            .With("@pdq", NpgsqlDbType.Text, result.Pdq)
            .With("@quality", NpgsqlDbType.Integer, result.PdqQuality)
            .With("@width", NpgsqlDbType.Integer, result.Width)
            .With("@height", NpgsqlDbType.Integer, result.Height)
            .With("@format", NpgsqlDbType.Text, result.Format)
            .WithJson("@clues", DocumentJson.SerializeOrNull(result.Clues))
            .With("@gpsCountry", NpgsqlDbType.Text, result.Clues?.Gps?.Country)
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

        await connection.Command(transaction, "DELETE FROM matches WHERE file_id = @id;").With("@id", result.FileId).RunAsync(cancellationToken).ConfigureAwait(false);
        if (result.Matches.Count == 0)
        {
            return;
        }

        var batch = new NpgsqlBatch(connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            for (var i = 0; i < result.Matches.Count; i++)
            {
                var match = result.Matches[i];
                var insert = new NpgsqlBatchCommand("""
                    INSERT INTO matches (file_id, ordinal, report_id, list_name, entry_id, label, category, signal, value, distance, transform, allow_list, video)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);
                    """);
                object?[] values = [result.FileId, i, reportId, match.ListName, match.EntryId, match.Label, match.Category, match.SignalType, match.Value, match.Distance, match.Transform, match.AllowList];
                foreach (var value in values)
                {
                    insert.Parameters.Add(value is null ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = DBNull.Value } : new NpgsqlParameter { Value = value });
                }

                insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)DocumentJson.SerializeOrNull(match.Video) ?? DBNull.Value });

                batch.BatchCommands.Add(insert);
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
