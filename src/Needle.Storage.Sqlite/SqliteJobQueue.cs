using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>
/// The job queue in the jobs table. States: pending (waiting, or waiting to retry until available_at), leased (a worker
/// holds it until leased_until), done, failed (parked after too many attempts). Every change of a leased job is
/// conditional on its lease token, so a worker that lost its lease can change nothing.
/// </summary>
internal sealed class SqliteJobQueue(SqliteDatabase database) : IJobQueue
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
                            SELECT id, attempts FROM (
                                SELECT id, attempts FROM (SELECT id, attempts FROM jobs WHERE state = 'pending' AND available_at <= @now ORDER BY id LIMIT 1)
                                UNION ALL
                                SELECT id, attempts FROM (SELECT id, attempts FROM jobs WHERE state = 'leased' AND leased_until < @now ORDER BY id LIMIT 1))
                            ORDER BY id LIMIT 1;
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
                        .FirstOrDefaultAsync(reader => new LeasedJob(reader.GetInt64(0), reader.GetString(1), reader.GetGuidText(2), token, reader.GetInt32(3), until), ct)
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
                if (!await HoldsLeaseAsync(connection, transaction, job, ct).ConfigureAwait(false))
                {
                    return false;
                }

                var now = database.Time.GetUtcNow();
                foreach (var result in results)
                {
                    await WriteFileResultAsync(connection, transaction, job.SubjectId, result, ct).ConfigureAwait(false);
                }

                await connection
                    .Command(transaction, """
                        UPDATE reports SET status = @processed, processed_at = @now,
                            matched_file_count = (SELECT COUNT(DISTINCT file_id) FROM matches WHERE report_id = @report AND allow_list = 0),
                            jurisdiction = @jurisdiction, jurisdiction_queue = @queue,
                            jurisdiction_country = @country, jurisdiction_region = @region
                        WHERE id = @report;
                        """)
                    .With("@processed", (int)ReportStatus.Processed)
                    .With("@jurisdiction", DocumentJson.SerializeOrNull(jurisdiction))
                    .With("@queue", jurisdiction?.Queue)
                    .With("@country", jurisdiction?.Country)
                    .With("@region", jurisdiction?.Region)
                    .With("@now", now)
                    .With("@report", job.SubjectId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);

                // Every processed report is triaged: its job is part of the same commit.
                await EnqueueAsync(connection, transaction, JobKinds.TriageReport, job.SubjectId, now, ct).ConfigureAwait(false);
                await MarkDoneAsync(connection, transaction, job, now, ct).ConfigureAwait(false);
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
                    .With("@now", now)
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
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();
                return await HoldsLiveLeaseAsync(connection, transaction, job, now, ct).ConfigureAwait(false) &&
                    await MarkDoneAsync(connection, transaction, job, now, ct).ConfigureAwait(false) == 1;
            },
            cancellationToken);
    }

    public Task<bool> EnqueueAsync(string kind, Guid subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        return database.WriteAsync(
            (connection, transaction, ct) => EnqueueAsync(connection, transaction, kind, subjectId, database.Time.GetUtcNow(), ct),
            cancellationToken);
    }

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
                var leased = await connection
                    .Command(transaction, "SELECT id, leased_by, lease_token FROM jobs WHERE state = 'leased';")
                    .ListAsync(reader => (Id: reader.GetInt64(0), By: reader.GetStringOrNull(1), Token: reader.GetStringOrNull(2)), ct)
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
                            WHERE id = @id AND state = 'leased' AND lease_token IS @token;
                            """)
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
    /// </summary>
    internal static async Task<bool> EnqueueAsync(SqliteConnection connection, SqliteTransaction transaction, string kind, Guid subjectId, DateTimeOffset now, CancellationToken cancellationToken) =>
        await connection
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

    /// <summary>
    /// True when <paramref name="job"/> is still leased under its token and its lease has not run out by the store's
    /// clock (a lease that ran out may be taken by another worker at any moment).
    /// </summary>
    internal static async Task<bool> HoldsLiveLeaseAsync(SqliteConnection connection, SqliteTransaction transaction, LeasedJob job, DateTimeOffset now, CancellationToken cancellationToken) =>
        await connection
            .Command(transaction, "SELECT 1 FROM jobs WHERE id = @id AND state = 'leased' AND lease_token = @token AND leased_until >= @now;")
            .With("@id", job.Id)
            .With("@token", job.LeaseToken)
            .With("@now", now)
            .ScalarAsync(cancellationToken)
            .ConfigureAwait(false) is not null;

    /// <summary>Marks a leased job done inside the caller's transaction.</summary>
    internal static Task<int> MarkDoneAsync(SqliteConnection connection, SqliteTransaction transaction, LeasedJob job, DateTimeOffset now, CancellationToken cancellationToken) =>
        connection
            .Command(transaction, """
                UPDATE jobs SET state = 'done', finished_at = @now, leased_until = NULL, last_error = NULL
                WHERE id = @id AND lease_token = @token;
                """)
            .With("@now", now)
            .With("@id", job.Id)
            .With("@token", job.LeaseToken)
            .RunAsync(cancellationToken);

    private static async Task<bool> HoldsLeaseAsync(SqliteConnection connection, SqliteTransaction transaction, LeasedJob job, CancellationToken cancellationToken) =>
        await connection
            .Command(transaction, "SELECT 1 FROM jobs WHERE id = @id AND state = 'leased' AND lease_token = @token;")
            .With("@id", job.Id)
            .With("@token", job.LeaseToken)
            .ScalarAsync(cancellationToken)
            .ConfigureAwait(false) is not null;

    /// <summary>
    /// Writes one file's results and replaces its matches (so running a job twice leaves one set). A file with a PDQ
    /// takes the next media sequence: one writer, so sequence order is commit order.
    /// </summary>
    private static async Task WriteFileResultAsync(SqliteConnection connection, SqliteTransaction transaction, Guid reportId, FileResult result, CancellationToken cancellationToken)
    {
        var updated = await connection
            .Command(transaction, """
                UPDATE files SET state = @state, error = @error, md5 = @md5, sha1 = @sha1, sha256 = @sha256, pdq = @pdq,
                    pdq_quality = @quality, width = @width, height = @height, format = @format,
                    clues = @clues, gps_country = @gpsCountry, video = @video,
                    media_seq = CASE WHEN @pdq IS NULL THEN NULL ELSE (SELECT COALESCE(MAX(media_seq), 0) + 1 FROM files) END
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
            .With("@clues", DocumentJson.SerializeOrNull(result.Clues))
            .With("@gpsCountry", result.Clues?.Gps?.Country)
            .With("@video", DocumentJson.SerializeOrNull(result.Video))
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
        for (var i = 0; i < result.Matches.Count; i++)
        {
            var match = result.Matches[i];
            await connection
                .Command(transaction, """
                    INSERT INTO matches (file_id, ordinal, report_id, list_name, entry_id, label, category, signal, value, distance, transform, allow_list, video)
                    VALUES (@file, @ordinal, @report, @list, @entry, @label, @category, @signal, @value, @distance, @transform, @allow, @video);
                    """)
                .With("@file", result.FileId)
                .With("@ordinal", i)
                .With("@report", reportId)
                .With("@list", match.ListName)
                .With("@entry", match.EntryId)
                .With("@label", match.Label)
                .With("@category", match.Category)
                .With("@signal", match.SignalType)
                .With("@value", match.Value)
                .With("@distance", match.Distance)
                .With("@transform", match.Transform)
                .With("@allow", match.AllowList)
                .With("@video", DocumentJson.SerializeOrNull(match.Video))
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
        }
    }
}
