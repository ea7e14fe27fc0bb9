namespace Needle.Core.Reports;

/// <summary>Outcome of a submission: <paramref name="Created"/> is false when the idempotency key was seen before and the earlier report is returned.</summary>
public sealed record SubmitResult(Guid ReportId, bool Created);
