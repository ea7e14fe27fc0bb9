namespace Needle.Core.Reports;

/// <summary>A new report ready to be stored: ids chosen, media already encrypted.</summary>
/// <param name="Id">The report's id, chosen at intake.</param>
/// <param name="Submission">The submission as given, stored as JSON.</param>
/// <param name="SubmittedBy">The API key that submitted it.</param>
/// <param name="IdempotencyKey">The submitter's idempotency key; a repeat from the same API key returns this report instead of storing another. Null when none was sent.</param>
/// <param name="ReceivedAt">When the report was received.</param>
/// <param name="Files">Every file of the report, in submission order.</param>
public sealed record NewReport(
    Guid Id,
    ReportSubmission Submission,
    Guid SubmittedBy,
    string? IdempotencyKey,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<NewFile> Files)
{
    /// <summary>
    /// The <see cref="Jobs.JobLane"/> its processing job is leased in: <see cref="Jobs.JobLane.Video"/> when a file is a
    /// video (seen in its bytes at intake), else <see cref="Jobs.JobLane.General"/>.
    /// </summary>
    public int Lane { get; init; } = Jobs.JobLane.General;
}
