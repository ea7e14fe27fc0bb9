namespace Needle.Core.Reports;

/// <summary>Outcome of a submission: <paramref name="Created"/> is false when the idempotency key was seen before and the earlier report is returned.</summary>
/// <param name="ReportId">The report stored, or the earlier one.</param>
/// <param name="Created">Whether a new report was stored.</param>
public sealed record SubmitResult(Guid ReportId, bool Created);
