using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

internal sealed class SqliteReportStore(SqliteDatabase database) : IReportStore
{
    public const int MaxPageSize = 500;

    /// <summary>The columns <see cref="StoredRows.ReadFile"/> reads, in its order, from <c>files f</c> (the triage store reads files the same way).</summary>
    internal const string FileColumns =
        "f.id, f.report_id, f.ordinal, f.original_name, f.content_type, f.size, f.has_media, f.state, f.error, f.reporter_hashes, " +
        "f.md5, f.sha1, f.sha256, f.pdq, f.pdq_quality, f.width, f.height, f.format, f.clues, f.video";

    private const string MatchColumns = "file_id, list_name, entry_id, label, category, signal, value, distance, transform, allow_list, video";

    public Task<SubmitResult> SubmitAsync(NewReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(report.Submission);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                if (report.IdempotencyKey is not null)
                {
                    var earlier = await connection
                        .Command(transaction, "SELECT id FROM reports WHERE submitted_by = @by AND idempotency_key = @key;")
                        .With("@by", report.SubmittedBy)
                        .With("@key", report.IdempotencyKey)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false);
                    if (earlier is string earlierId)
                    {
                        return new SubmitResult(Guid.ParseExact(earlierId, "D"), Created: false);
                    }
                }

                var now = database.Time.GetUtcNow();
                await InsertReportAsync(connection, transaction, report, ct).ConfigureAwait(false);
                await connection
                    .Command(transaction, "INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at) VALUES (@kind, @subject, 'pending', 0, @now, @now);")
                    .With("@kind", JobKinds.ProcessReport)
                    .With("@subject", report.Id)
                    .With("@now", now)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                await SqliteAuditLog.AppendAsync(connection, transaction, audit, now, ct).ConfigureAwait(false);
                return new SubmitResult(report.Id, Created: true);
            },
            cancellationToken);
    }

    public Task<StoredReport?> GetAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var report = await connection
                    .Command(transaction, "SELECT id, submission, status, received_at, processed_at, submitted_by, jurisdiction FROM reports WHERE id = @id;")
                    .With("@id", reportId)
                    .FirstOrDefaultAsync(
                        reader => new StoredReport
                        {
                            Id = reader.GetGuidText(0),
                            Submission = JsonSerializer.Deserialize<ReportSubmission>(reader.GetString(1), DocumentJson.Options)
                                ?? throw new InvalidDataException($"Report {reportId} has an empty submission."),
                            Status = (ReportStatus)reader.GetInt32(2),
                            ReceivedAt = reader.GetInstant(3),
                            ProcessedAt = reader.GetInstantOrNull(4),
                            SubmittedBy = reader.GetGuidText(5),
                            Files = [],
                            Jurisdiction = DocumentJson.DeserializeOrNull<ReportJurisdiction>(reader.GetStringOrNull(6)),
                        },
                        ct)
                    .ConfigureAwait(false);
                if (report is null)
                {
                    return null;
                }

                var files = await connection
                    .Command(transaction, $"SELECT {FileColumns} FROM files f WHERE f.report_id = @id ORDER BY f.ordinal;")
                    .With("@id", reportId)
                    .ListAsync(StoredRows.ReadFile, ct)
                    .ConfigureAwait(false);
                var matches = await connection
                    .Command(transaction, $"SELECT {MatchColumns} FROM matches WHERE report_id = @id ORDER BY file_id, ordinal;")
                    .With("@id", reportId)
                    .ListAsync(reader => (FileId: reader.GetGuidText(0), Match: StoredRows.ReadMatch(reader)), ct)
                    .ConfigureAwait(false);
                var matchesByFile = matches.GroupBy(m => m.FileId).ToDictionary(g => g.Key, g => (IReadOnlyList<StoredMatch>)[.. g.Select(m => m.Match)]);
                return report with
                {
                    Files = [.. files.Select(f => matchesByFile.TryGetValue(f.Id, out var fileMatches) ? f with { Matches = fileMatches } : f)],
                };
            },
            cancellationToken);

    public Task<Page<ReportSummary>> ListAsync(ReportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        ReportCursor? after = query.After is null ? null : ReportCursor.Decode(query.After);
        return database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // Only fixed fragments are appended; every value is a parameter.
                var sql = new StringBuilder(
                    "SELECT id, external_id, status, received_at, processed_at, escalate, file_count, matched_file_count, jurisdiction_queue, jurisdiction_country FROM reports r WHERE 1 = 1");
                var command = connection.Command(transaction, string.Empty);
                if (query.Status is { } status)
                {
                    sql.Append(" AND status = @status");
                    command.With("@status", (int)status);
                }

                if (query.Escalate is { } escalate)
                {
                    sql.Append(" AND escalate = @escalate");
                    command.With("@escalate", escalate);
                }

                AppendPlaceAndListFilters(sql, command, query.JurisdictionQueue, query.Country, query.ListName);

                if (query.ReceivedFrom is { } from)
                {
                    sql.Append(" AND received_at >= @from");
                    command.With("@from", from);
                }

                if (query.ReceivedTo is { } to)
                {
                    sql.Append(" AND received_at < @to");
                    command.With("@to", to);
                }

                if (after is { } cursor)
                {
                    sql.Append(" AND (received_at < @afterTicks OR (received_at = @afterTicks AND id < @afterId))");
                    command.With("@afterTicks", cursor.ReceivedTicks).With("@afterId", cursor.Id);
                }

                sql.Append(" ORDER BY received_at DESC, id DESC LIMIT @limit;");
                command.With("@limit", limit + 1);
                command.CommandText = sql.ToString();
                var rows = await command
                    .ListAsync(
                        reader => new ReportSummary(
                            reader.GetGuidText(0),
                            reader.GetStringOrNull(1),
                            (ReportStatus)reader.GetInt32(2),
                            reader.GetInstant(3),
                            reader.GetInstantOrNull(4),
                            reader.GetFlag(5),
                            reader.GetInt32(6),
                            reader.GetInt32(7))
                        {
                            JurisdictionQueue = reader.GetStringOrNull(8),
                            JurisdictionCountry = reader.GetStringOrNull(9),
                        },
                        ct)
                    .ConfigureAwait(false);
                if (rows.Count <= limit)
                {
                    return new Page<ReportSummary>(rows, null);
                }

                rows.RemoveAt(rows.Count - 1);
                var last = rows[^1];
                return new Page<ReportSummary>(rows, new ReportCursor(last.ReceivedAt.UtcTicks, last.Id).Encode());
            },
            cancellationToken);
    }

    public Task<StoredFile?> GetFileAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var file = await connection
                    .Command(transaction, $"SELECT {FileColumns} FROM files f WHERE f.id = @id;")
                    .With("@id", fileId)
                    .FirstOrDefaultAsync(StoredRows.ReadFile, ct)
                    .ConfigureAwait(false);
                if (file is null)
                {
                    return null;
                }

                var matches = await connection
                    .Command(transaction, $"SELECT {MatchColumns} FROM matches WHERE file_id = @id ORDER BY ordinal;")
                    .With("@id", fileId)
                    .ListAsync(StoredRows.ReadMatch, ct)
                    .ConfigureAwait(false);
                return file with { Matches = matches };
            },
            cancellationToken);

    public Task<StoredMedia?> GetMediaAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => connection
                .Command(transaction, """
                    SELECT f.id, f.report_id, f.content_type, f.original_name, m.bytes
                    FROM media m JOIN files f ON f.id = m.file_id
                    WHERE m.file_id = @id;
                    """)
                .With("@id", fileId)
                .FirstOrDefaultAsync(
                    reader => new StoredMedia(reader.GetGuidText(0), reader.GetGuidText(1), reader.GetStringOrNull(2), reader.GetStringOrNull(3), (byte[])reader.GetValue(4)),
                    ct),
            cancellationToken);

    private static async Task InsertReportAsync(SqliteConnection connection, SqliteTransaction transaction, NewReport report, CancellationToken cancellationToken)
    {
        await connection
            .Command(transaction, """
                INSERT INTO reports (id, external_id, submission, status, escalate, received_at, submitted_by, idempotency_key, file_count, reporter_org)
                VALUES (@id, @external, @submission, @status, @escalate, @received, @by, @key, @files, @org);
                """)
            .With("@org", report.Submission.Reporter?.Organisation)
            .With("@id", report.Id)
            .With("@external", report.Submission.ExternalId)
            .With("@submission", JsonSerializer.Serialize(report.Submission, DocumentJson.Options))
            .With("@status", (int)ReportStatus.Received)
            .With("@escalate", report.Submission.Escalate)
            .With("@received", report.ReceivedAt)
            .With("@by", report.SubmittedBy)
            .With("@key", report.IdempotencyKey)
            .With("@files", report.Files.Count)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);

        foreach (var file in report.Files)
        {
            var hasMedia = file.EncryptedMedia is not null;
            await connection
                .Command(transaction, """
                    INSERT INTO files (id, report_id, ordinal, original_name, content_type, size, has_media, state, reporter_hashes)
                    VALUES (@id, @report, @ordinal, @name, @type, @size, @media, @state, @hashes);
                    """)
                .With("@id", file.Id)
                .With("@report", report.Id)
                .With("@ordinal", file.Ordinal)
                .With("@name", file.OriginalName)
                .With("@type", file.ContentType)
                .With("@size", file.Size)
                .With("@media", hasMedia)
                .With("@state", (int)(hasMedia ? FileState.Pending : FileState.HashesOnly))
                .With("@hashes", DocumentJson.SerializeOrNull(file.ReporterHashes))
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            if (hasMedia)
            {
                await connection
                    .Command(transaction, "INSERT INTO media (file_id, bytes) VALUES (@id, @bytes);")
                    .With("@id", file.Id)
                    .With("@bytes", file.EncryptedMedia)
                    .RunAsync(cancellationToken)
                    .ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The filters the report listing and the review queue share, on <c>reports r</c>: routed to a jurisdiction queue,
    /// placed in a country (upper-cased, as stored), with a file matching a list. Only fixed fragments are appended.
    /// </summary>
    internal static void AppendPlaceAndListFilters(StringBuilder sql, SqliteCommand command, string? queue, string? country, string? listName)
    {
        if (queue is not null)
        {
            sql.Append(" AND r.jurisdiction_queue = @queue");
            command.With("@queue", queue);
        }

        if (country is not null)
        {
            sql.Append(" AND r.jurisdiction_country = @country");
            command.With("@country", country.ToUpperInvariant());
        }

        if (listName is not null)
        {
            sql.Append(" AND EXISTS (SELECT 1 FROM matches m WHERE m.report_id = r.id AND m.list_name = @list)");
            command.With("@list", listName);
        }
    }

}
