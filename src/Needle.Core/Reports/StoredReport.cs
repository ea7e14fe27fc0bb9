using Needle.Core.Jurisdiction;

namespace Needle.Core.Reports;

/// <summary>A stored report with its files.</summary>
public sealed record StoredReport
{
    /// <summary>The report's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The submission as given.</summary>
    public required ReportSubmission Submission { get; init; }

    /// <summary>Received or processed.</summary>
    public required ReportStatus Status { get; init; }

    /// <summary>When the report was received.</summary>
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>When every file was processed; null before.</summary>
    public DateTimeOffset? ProcessedAt { get; init; }

    /// <summary>The API key that submitted it.</summary>
    public required Guid SubmittedBy { get; init; }

    /// <summary>The report's files, in submission order.</summary>
    public required IReadOnlyList<StoredFile> Files { get; init; }

    /// <summary>Where the report goes and why; set when it is processed (null before, and for reports processed before clues existed).</summary>
    public ReportJurisdiction? Jurisdiction { get; init; }
}
