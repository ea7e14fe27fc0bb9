namespace Needle.Core.Reports;

/// <summary>A new report ready to be stored: ids chosen, media already encrypted.</summary>
public sealed record NewReport(
    Guid Id,
    ReportSubmission Submission,
    Guid SubmittedBy,
    string? IdempotencyKey,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<NewFile> Files);
