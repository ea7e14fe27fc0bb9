using System.Data.Common;
using System.Text;
using System.Text.Json;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>Reports, their files, encrypted media and matches.</summary>
internal sealed class RelationalReportStore : IReportStore
{
    public const int MaxPageSize = 500;

    private readonly RelationalDatabase _database;
    private readonly SqlDialect _dialect;
    private readonly string _selectReport;
    private readonly string _selectFiles;
    private readonly string _selectFile;
    private readonly string _selectReportMatches;
    private readonly string _selectFileMatches;
    private readonly string _afterCursor;

    public RelationalReportStore(RelationalDatabase database)
    {
        _database = database;
        _dialect = database.Dialect;
        var fileColumns = StoredRows.FileColumns(_dialect);
        var matchColumns = StoredRows.MatchColumns(_dialect);
        _selectReport = $"SELECT id, {_dialect.JsonText("submission")}, status, received_at, processed_at, submitted_by, {_dialect.JsonText("jurisdiction")} FROM reports WHERE id = @id;";
        _selectFiles = $"SELECT {fileColumns} FROM files f WHERE f.report_id = @id ORDER BY f.ordinal;";
        _selectFile = $"SELECT {fileColumns} FROM files f WHERE f.id = @id;";
        _selectReportMatches = $"SELECT {matchColumns} FROM matches WHERE report_id = @id ORDER BY file_id, ordinal;";
        _selectFileMatches = $"SELECT {matchColumns} FROM matches WHERE file_id = @id ORDER BY ordinal;";
        _afterCursor = " AND " + _dialect.RowLessThan("received_at", "id", "@afterTicks", "@afterId");
    }

    public Task<SubmitResult> SubmitAsync(NewReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(report.Submission);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // A repeated idempotency key inserts nothing (where writers are concurrent, after waiting for the
                // submission that holds it to commit); the earlier report is then visible to the next statement.
                var inserted = await InsertReportAsync(connection, transaction, report, ct).ConfigureAwait(false);
                if (inserted == 0)
                {
                    var earlier = await _dialect
                        .Command(connection, transaction, "SELECT id FROM reports WHERE submitted_by = @by AND idempotency_key = @key;")
                        .With("@by", report.SubmittedBy)
                        .With("@key", report.IdempotencyKey)
                        .FirstOrDefaultAsync(reader => (Guid?)reader.GetGuid(0), ct)
                        .ConfigureAwait(false);
                    return new SubmitResult(earlier ?? throw new InvalidOperationException($"Report {report.Id} was not stored and no earlier report has its idempotency key."), Created: false);
                }

                await InsertFilesAsync(connection, transaction, report, ct).ConfigureAwait(false);
                await _dialect
                    .Command(connection, transaction, "INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at, priority, lane) VALUES (@kind, @subject, 'pending', 0, @now, @now, @priority, @lane);")
                    .With("@lane", report.Lane)
                    .With("@kind", JobKinds.ProcessReport)
                    .With("@priority", JobPriority.ForReport(report.Submission.Escalate))
                    .With("@subject", report.Id)
                    .With("@now", _database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false);

                // Last: the audit chain lock, where there is one, is held from here to the commit only.
                await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, ct).ConfigureAwait(false);
                return new SubmitResult(report.Id, Created: true);
            },
            cancellationToken);
    }

    public Task<StoredReport?> GetAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var report = await _dialect
                    .Command(connection, transaction, _selectReport)
                    .With("@id", reportId)
                    .FirstOrDefaultAsync(
                        reader => new StoredReport
                        {
                            Id = reader.GetGuid(0),
                            Submission = JsonSerializer.Deserialize<ReportSubmission>(reader.GetString(1), DocumentJson.Options)
                                ?? throw new InvalidDataException($"Report {reportId} has an empty submission."),
                            Status = (ReportStatus)reader.GetInt32(2),
                            ReceivedAt = reader.GetInstant(3),
                            ProcessedAt = reader.GetInstantOrNull(4),
                            SubmittedBy = reader.GetGuid(5),
                            Files = [],
                            Jurisdiction = DocumentJson.DeserializeOrNull<ReportJurisdiction>(reader.GetStringOrNull(6)),
                        },
                        ct)
                    .ConfigureAwait(false);
                if (report is null)
                {
                    return null;
                }

                var files = await _dialect
                    .Command(connection, transaction, _selectFiles)
                    .With("@id", reportId)
                    .ListAsync(StoredRows.ReadFile, ct)
                    .ConfigureAwait(false);
                var matches = await _dialect
                    .Command(connection, transaction, _selectReportMatches)
                    .With("@id", reportId)
                    .ListAsync(reader => (FileId: reader.GetGuid(0), Match: StoredRows.ReadMatch(reader)), ct)
                    .ConfigureAwait(false);

                var byFile = new Dictionary<Guid, List<StoredMatch>>();
                foreach (var (fileId, match) in matches)
                {
                    if (!byFile.TryGetValue(fileId, out var fileMatches))
                    {
                        fileMatches = [];
                        byFile.Add(fileId, fileMatches);
                    }

                    fileMatches.Add(match);
                }

                for (var i = 0; i < files.Count; i++)
                {
                    if (byFile.TryGetValue(files[i].Id, out var fileMatches))
                    {
                        files[i] = files[i] with { Matches = fileMatches };
                    }
                }

                return report with { Files = files };
            },
            cancellationToken);

    public Task<Page<ReportSummary>> ListAsync(ReportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = Math.Clamp(query.Limit, 1, MaxPageSize);
        ReportCursor? after = query.After is null ? null : ReportCursor.Decode(query.After);
        return _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // Only fixed fragments are appended; every value is a parameter.
                var sql = new StringBuilder(
                    "SELECT id, external_id, status, received_at, processed_at, escalate, file_count, matched_file_count, jurisdiction_queue, jurisdiction_country FROM reports r WHERE 1 = 1");
                var command = _dialect.Command(connection, transaction, string.Empty);
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
                    sql.Append(_afterCursor);
                    command.With("@afterTicks", cursor.ReceivedTicks).With("@afterId", cursor.Id);
                }

                sql.Append(" ORDER BY received_at DESC, id DESC LIMIT @limit;");
                command.With("@limit", limit + 1);
                command.CommandText = sql.ToString();
                var rows = await command
                    .ListAsync(StoredRows.ReadReportSummary, ct)
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
        _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var file = await _dialect
                    .Command(connection, transaction, _selectFile)
                    .With("@id", fileId)
                    .FirstOrDefaultAsync(StoredRows.ReadFile, ct)
                    .ConfigureAwait(false);
                if (file is null)
                {
                    return null;
                }

                var matches = await _dialect
                    .Command(connection, transaction, _selectFileMatches)
                    .With("@id", fileId)
                    .ListAsync(StoredRows.ReadMatch, ct)
                    .ConfigureAwait(false);
                return file with { Matches = matches };
            },
            cancellationToken);

    public Task<StoredMedia?> GetMediaAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, """
                    SELECT f.id, f.report_id, f.content_type, f.original_name, m.bytes
                    FROM media m JOIN files f ON f.id = m.file_id
                    WHERE m.file_id = @id;
                    """)
                .With("@id", fileId)
                .FirstOrDefaultAsync(
                    reader => new StoredMedia(reader.GetGuid(0), reader.GetGuid(1), reader.GetStringOrNull(2), reader.GetStringOrNull(3), reader.GetFieldValue<byte[]>(4)),
                    ct),
            cancellationToken);

    /// <summary>
    /// The filters the report listing and the review queue share, on <c>reports r</c>: routed to a jurisdiction queue,
    /// placed in a country (upper-cased, as stored), with a file matching a list. Only fixed fragments are appended.
    /// </summary>
    internal static void AppendPlaceAndListFilters(StringBuilder sql, RelationalCommand command, string? queue, string? country, string? listName)
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

    /// <summary>Inserts the report's row (nothing when its idempotency key was used by the same key before); the count inserted.</summary>
    internal Task<int> InsertReportAsync(DbConnection connection, DbTransaction transaction, NewReport report, CancellationToken ct) =>
        _dialect
            .Command(connection, transaction, """
                INSERT INTO reports (id, external_id, submission, status, escalate, received_at, submitted_by, idempotency_key, file_count, reporter_org)
                VALUES (@id, @external, @submission, @status, @escalate, @received, @by, @key, @files, @org)
                ON CONFLICT (submitted_by, idempotency_key) DO NOTHING;
                """)
            .With("@org", report.Submission.Reporter?.Organisation)
            .With("@id", report.Id)
            .With("@external", report.Submission.ExternalId)
            .WithJson("@submission", JsonSerializer.Serialize(report.Submission, DocumentJson.Options))
            .With("@status", (int)ReportStatus.Received)
            .With("@escalate", report.Submission.Escalate)
            .With("@received", report.ReceivedAt)
            .With("@by", report.SubmittedBy)
            .With("@key", report.IdempotencyKey)
            .With("@files", report.Files.Count)
            .RunAsync(ct);

    /// <summary>The report's files and their encrypted media, in file order (each file before its media).</summary>
    internal async Task InsertFilesAsync(DbConnection connection, DbTransaction transaction, NewReport report, CancellationToken cancellationToken)
    {
        var batch = new StatementBatch(_dialect, connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            var insertFile = batch.Statement(
                """
                INSERT INTO files (id, report_id, ordinal, original_name, content_type, size, has_media, state, reporter_hashes)
                VALUES (@id, @report, @ordinal, @name, @type, @size, @media, @state, @hashes);
                """,
                ("@id", SqlType.Uuid),
                ("@report", SqlType.Uuid),
                ("@ordinal", SqlType.Integer),
                ("@name", SqlType.Text),
                ("@type", SqlType.Text),
                ("@size", SqlType.BigInt),
                ("@media", SqlType.Flag),
                ("@state", SqlType.Integer),
                ("@hashes", SqlType.Json));
            var insertMedia = batch.Statement("INSERT INTO media (file_id, bytes) VALUES (@id, @bytes);", ("@id", SqlType.Uuid), ("@bytes", SqlType.Bytes));
            foreach (var file in report.Files)
            {
                var hasMedia = file.EncryptedMedia is not null;
                insertFile.Set(0, file.Id);
                insertFile.Set(1, report.Id);
                insertFile.Set(2, file.Ordinal);
                insertFile.Set(3, file.OriginalName);
                insertFile.Set(4, file.ContentType);
                insertFile.Set(5, file.Size);
                insertFile.Set(6, hasMedia);
                insertFile.Set(7, (int)(hasMedia ? FileState.Pending : FileState.HashesOnly));
                insertFile.Set(8, DocumentJson.SerializeOrNull(file.ReporterHashes));
                await insertFile.AddRowAsync(cancellationToken).ConfigureAwait(false);
                if (hasMedia)
                {
                    insertMedia.Set(0, file.Id);
                    insertMedia.Set(1, file.EncryptedMedia);
                    await insertMedia.AddRowAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await batch.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
