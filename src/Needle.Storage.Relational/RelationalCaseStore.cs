using System.Data.Common;
using System.Globalization;
using Needle.Core.Audit;
using Needle.Core.Cases;
using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>Case work: the note thread and outcomes of a report (tables of their own), its assignment (columns of the report), and imports.</summary>
internal sealed class RelationalCaseStore(RelationalDatabase database, RelationalReportStore reports, RelationalJobQueue jobs) : ICaseStore
{
    private readonly SqlDialect _dialect = database.Dialect;

    public Task<ReportNote?> AddNoteAsync(Guid reportId, string author, string text, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(author);
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync<ReportNote?>(
            async (connection, transaction, ct) =>
            {
                if (!await LockReportAsync(connection, transaction, reportId, ct).ConfigureAwait(false))
                {
                    return null;
                }

                var id = await InsertNoteAsync(connection, transaction, reportId, author, at, text, ct).ConfigureAwait(false);
                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return new ReportNote(id, reportId, author, at, text);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ReportNote>> GetNotesAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<ReportNote>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "SELECT id, report_id, author, at, text FROM report_notes WHERE report_id = @report ORDER BY id;")
                .With("@report", reportId)
                .ListAsync(r => new ReportNote(r.GetInt64(0), r.GetGuid(1), r.GetString(2), r.GetInstant(3), r.GetString(4)), ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> AssignAsync(Guid reportId, string? assignedTo, string assignedBy, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assignedBy);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var updated = await _dialect
                    .Command(connection, transaction, "UPDATE reports SET assigned_to = @to, assigned_by = @by, assigned_at = @at WHERE id = @id;")
                    .With("@to", assignedTo)
                    .With("@by", assignedTo is null ? null : assignedBy)
                    .With("@at", assignedTo is null ? null : (DateTimeOffset?)at)
                    .With("@id", reportId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                if (updated != 1)
                {
                    return false;
                }

                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task<ReportAssignment?> GetAssignmentAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, "SELECT assigned_to, assigned_by, assigned_at FROM reports WHERE id = @id AND assigned_to IS NOT NULL;")
                .With("@id", reportId)
                .FirstOrDefaultAsync(r => new ReportAssignment(reportId, r.GetString(0), r.GetString(1), r.GetInstant(2)), ct),
            cancellationToken);

    public Task<ReportOutcome?> RecordOutcomeAsync(
        Guid reportId, OutcomeKind kind, string? recipient, string? note, string actor, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync<ReportOutcome?>(
            async (connection, transaction, ct) =>
            {
                if (!await LockReportAsync(connection, transaction, reportId, ct).ConfigureAwait(false))
                {
                    return null;
                }

                var id = await InsertOutcomeAsync(connection, transaction, reportId, kind, recipient, note, actor, at, ct).ConfigureAwait(false);
                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return new ReportOutcome(id, reportId, kind, recipient, note, actor, at);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ReportOutcome>> GetOutcomesAsync(Guid reportId, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<ReportOutcome>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "SELECT id, report_id, kind, recipient, note, actor, at FROM report_outcomes WHERE report_id = @report ORDER BY id;")
                .With("@report", reportId)
                .ListAsync(
                    r => new ReportOutcome(r.GetInt64(0), r.GetGuid(1), (OutcomeKind)r.GetInt32(2), r.GetStringOrNull(3), r.GetStringOrNull(4), r.GetString(5), r.GetInstant(6)),
                    ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> ImportAsync(ImportedReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(audit);
        var fileIds = report.Report.Files.Select(f => f.Id).ToHashSet();
        if (report.Results.Count != fileIds.Count || report.Results.Any(r => !fileIds.Contains(r.FileId)))
        {
            throw new ArgumentException($"Imported report {report.Report.Id} needs exactly one result per file.", nameof(report));
        }

        if (report.Decisions.FirstOrDefault(d => !fileIds.Contains(d.FileId)) is { } stray)
        {
            throw new ArgumentException($"Imported decision on file {stray.FileId}, which is not a file of report {report.Report.Id}.", nameof(report));
        }

        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                if (await ExistsAsync(connection, transaction, report, ct).ConfigureAwait(false))
                {
                    return false;
                }

                var incoming = report.Report with { IdempotencyKey = null };
                await reports.InsertReportAsync(connection, transaction, incoming, ct).ConfigureAwait(false);
                await reports.InsertFilesAsync(connection, transaction, incoming, ct).ConfigureAwait(false);
                if (RelationalJobQueue.HasPdq(report.Results))
                {
                    await _dialect.LockMediaSequenceAsync(connection, transaction, exclusive: false, ct).ConfigureAwait(false);
                }

                foreach (var result in report.Results)
                {
                    await jobs.WriteFileResultAsync(connection, transaction, incoming.Id, result, ct).ConfigureAwait(false);
                }

                await jobs.MarkProcessedAsync(connection, transaction, incoming.Id, report.Jurisdiction, report.ProcessedAt, ct).ConfigureAwait(false);
                await InsertDecisionsAsync(connection, transaction, report, ct).ConfigureAwait(false);
                foreach (var note in report.Notes)
                {
                    await InsertNoteAsync(connection, transaction, incoming.Id, note.Author, note.At, note.Text, ct).ConfigureAwait(false);
                }

                foreach (var outcome in report.Outcomes)
                {
                    await InsertOutcomeAsync(connection, transaction, incoming.Id, outcome.Kind, outcome.Recipient, outcome.Note, outcome.Actor, outcome.At, ct).ConfigureAwait(false);
                }

                // Linked and scored here like any processed report.
                await RelationalJobQueue.EnqueueAsync(database, connection, transaction, JobKinds.TriageReport, incoming.Id, database.Time.GetUtcNow(), ct).ConfigureAwait(false);
                await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    /// <summary>True when the report exists, locking its row (where writers are concurrent) so its thread grows in order.</summary>
    private async Task<bool> LockReportAsync(DbConnection connection, DbTransaction transaction, Guid reportId, CancellationToken ct) =>
        await _dialect
            .Command(connection, transaction, "UPDATE reports SET assigned_at = assigned_at WHERE id = @id;")
            .With("@id", reportId)
            .RunAsync(ct)
            .ConfigureAwait(false) == 1;

    private async Task<bool> ExistsAsync(DbConnection connection, DbTransaction transaction, ImportedReport report, CancellationToken ct)
    {
        if (await _dialect.Command(connection, transaction, "SELECT 1 FROM reports WHERE id = @id;").With("@id", report.Report.Id)
                .FirstOrDefaultAsync(r => true, ct).ConfigureAwait(false))
        {
            return true;
        }

        foreach (var file in report.Report.Files)
        {
            if (await _dialect.Command(connection, transaction, "SELECT 1 FROM files WHERE id = @id;").With("@id", file.Id)
                    .FirstOrDefaultAsync(r => true, ct).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    private async Task<long> InsertNoteAsync(DbConnection connection, DbTransaction transaction, Guid reportId, string author, DateTimeOffset at, string text, CancellationToken ct) =>
        Convert.ToInt64(
            await _dialect
                .Command(connection, transaction, "INSERT INTO report_notes (report_id, author, at, text) VALUES (@report, @author, @at, @text) RETURNING id;")
                .With("@report", reportId)
                .With("@author", author)
                .With("@at", at)
                .With("@text", text)
                .ScalarAsync(ct)
                .ConfigureAwait(false),
            CultureInfo.InvariantCulture);

    private async Task<long> InsertOutcomeAsync(
        DbConnection connection, DbTransaction transaction, Guid reportId, OutcomeKind kind, string? recipient, string? note, string actor, DateTimeOffset at, CancellationToken ct) =>
        Convert.ToInt64(
            await _dialect
                .Command(connection, transaction, """
                    INSERT INTO report_outcomes (report_id, kind, recipient, note, actor, at)
                    VALUES (@report, @kind, @recipient, @note, @actor, @at)
                    RETURNING id;
                    """)
                .With("@report", reportId)
                .With("@kind", (int)kind)
                .With("@recipient", recipient)
                .With("@note", note)
                .With("@actor", actor)
                .With("@at", at)
                .ScalarAsync(ct)
                .ConfigureAwait(false),
            CultureInfo.InvariantCulture);

    /// <summary>
    /// The decisions as exported, each file's in order, each revising the one before it here. What they were based on
    /// (decision ids of the exporting server) cannot be kept; the file and the reason they name are.
    /// </summary>
    private async Task InsertDecisionsAsync(DbConnection connection, DbTransaction transaction, ImportedReport report, CancellationToken ct)
    {
        var current = new Dictionary<Guid, long>();
        foreach (var decision in report.Decisions)
        {
            var id = Convert.ToInt64(
                await _dialect
                    .Command(connection, transaction, """
                        INSERT INTO decisions (file_id, report_id, category, note, source, actor, at, revises, based_on, based_on_file, based_on_reason)
                        VALUES (@file, @report, @category, @note, @source, @actor, @at, @revises, NULL, @basedOnFile, @reason)
                        RETURNING id;
                        """)
                    .With("@file", decision.FileId)
                    .With("@report", report.Report.Id)
                    .With("@category", (int)decision.Category)
                    .With("@note", decision.Note)
                    .With("@source", (int)decision.Source)
                    .With("@actor", decision.Actor)
                    .With("@at", decision.At)
                    .With("@revises", current.TryGetValue(decision.FileId, out var previous) ? previous : null)
                    .With("@basedOnFile", decision.BasedOnFileId)
                    .With("@reason", decision.BasedOnReason)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false),
                CultureInfo.InvariantCulture);
            current[decision.FileId] = id;
        }

        foreach (var (fileId, decisionId) in current)
        {
            await _dialect
                .Command(connection, transaction, "UPDATE files SET current_decision_id = @decision WHERE id = @file;")
                .With("@decision", decisionId)
                .With("@file", fileId)
                .RunAsync(ct)
                .ConfigureAwait(false);
        }
    }
}
