using Needle.Core.Audit;
using Needle.Core.Cases;

namespace Needle.Core.Storage;

/// <summary>
/// Case work on a report: its note thread, its assignment to a reviewer, its outcomes, and re-creating a report from
/// another server's export. Every change appends its audit entry in the same transaction.
/// </summary>
public interface ICaseStore
{
    /// <summary>Appends a note to the report's thread and <paramref name="audit"/>; null (nothing written) when the report does not exist.</summary>
    Task<ReportNote?> AddNoteAsync(Guid reportId, string author, string text, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The report's notes, oldest first (empty when none, or no such report).</summary>
    Task<IReadOnlyList<ReportNote>> GetNotesAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Assigns the report to <paramref name="assignedTo"/> (replacing any assignment), or unassigns it when that is
    /// null, appending <paramref name="audit"/>; false (nothing written) when the report does not exist.
    /// </summary>
    Task<bool> AssignAsync(Guid reportId, string? assignedTo, string assignedBy, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The report's assignment, or null when it has none.</summary>
    Task<ReportAssignment?> GetAssignmentAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>Records an outcome (the report's current one from now on) and <paramref name="audit"/>; null (nothing written) when the report does not exist.</summary>
    Task<ReportOutcome?> RecordOutcomeAsync(Guid reportId, OutcomeKind kind, string? recipient, string? note, string actor, DateTimeOffset at, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Every outcome of the report, oldest first (the last is the current one).</summary>
    Task<IReadOnlyList<ReportOutcome>> GetOutcomesAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores an imported report in one transaction: the report and its files (with media) as processed, their
    /// results, decisions, notes and outcomes, <paramref name="audit"/>, and a triage job (links and score). False,
    /// with nothing written, when a report or file with the same id exists already (imported before).
    /// </summary>
    /// <exception cref="ArgumentException">A result or decision names a file that is not the report's.</exception>
    Task<bool> ImportAsync(ImportedReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default);
}
