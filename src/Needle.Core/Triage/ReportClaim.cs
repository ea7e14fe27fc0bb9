namespace Needle.Core.Triage;

/// <summary>An analyst holding a report so nobody else opens it at the same time; ends at <see cref="ExpiresAt"/> unless renewed.</summary>
public sealed record ReportClaim(Guid ReportId, string ClaimedBy, DateTimeOffset ClaimedAt, DateTimeOffset ExpiresAt);
