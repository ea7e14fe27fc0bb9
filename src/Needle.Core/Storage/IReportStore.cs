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

    Task<StoredReport?> GetAsync(Guid reportId, CancellationToken cancellationToken = default);

    Task<Page<ReportSummary>> ListAsync(ReportQuery query, CancellationToken cancellationToken = default);

    Task<StoredFile?> GetFileAsync(Guid fileId, CancellationToken cancellationToken = default);

    Task<StoredMedia?> GetMediaAsync(Guid fileId, CancellationToken cancellationToken = default);
}
