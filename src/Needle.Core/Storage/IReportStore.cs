using Needle.Core.Audit;
using Needle.Core.Paging;
using Needle.Core.Reports;

namespace Needle.Core.Storage;

/// <summary>Reports, their files and media. Implementations make every acknowledged write durable before returning.</summary>
public interface IReportStore
{
    /// <summary>
    /// Stores the report, its files and media, a processing job for it, and the audit entry, in one transaction.
    /// A repeated idempotency key (for the same submitting key) stores nothing and returns the earlier report.
    /// </summary>
    Task<SubmitResult> SubmitAsync(NewReport report, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>A report with its files, results and matches; null when there is none with this id.</summary>
    Task<StoredReport?> GetAsync(Guid reportId, CancellationToken cancellationToken = default);

    /// <summary>One page of reports matching <paramref name="query"/>, newest first, with the cursor of the next page.</summary>
    Task<Page<ReportSummary>> ListAsync(ReportQuery query, CancellationToken cancellationToken = default);

    /// <summary>One file of a report with its results; null when there is none with this id.</summary>
    Task<StoredFile?> GetFileAsync(Guid fileId, CancellationToken cancellationToken = default);

    /// <summary>A file's media, still encrypted; null when the file does not exist or only hashes were reported.</summary>
    Task<StoredMedia?> GetMediaAsync(Guid fileId, CancellationToken cancellationToken = default);
}
