namespace Needle.Application.Cases;

/// <summary>The package's report (or one of its files) exists on this server already: imported before, or exported from here.</summary>
/// <param name="reportId">The package's report id.</param>
public sealed class ReportAlreadyImportedException(Guid reportId) : InvalidOperationException($"Report {reportId} (or one of its files) already exists on this server.")
{
    /// <summary>The package's report id.</summary>
    public Guid ReportId { get; } = reportId;
}
