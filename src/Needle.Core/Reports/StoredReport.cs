using Needle.Core.Jurisdiction;

namespace Needle.Core.Reports;

/// <summary>A stored report with its files.</summary>
public sealed record StoredReport
{
    public required Guid Id { get; init; }

    public required ReportSubmission Submission { get; init; }

    public required ReportStatus Status { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset? ProcessedAt { get; init; }

    /// <summary>The API key that submitted it.</summary>
    public required Guid SubmittedBy { get; init; }

    public required IReadOnlyList<StoredFile> Files { get; init; }

    /// <summary>Where the report goes and why; set when it is processed (null before, and for reports processed before clues existed).</summary>
    public ReportJurisdiction? Jurisdiction { get; init; }
}
