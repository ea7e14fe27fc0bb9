namespace Needle.Core.Triage;

/// <summary>An analyst holding a report so nobody else opens it at the same time; ends at <see cref="ExpiresAt"/> unless renewed.</summary>
/// <param name="ReportId">The report claimed.</param>
/// <param name="ClaimedBy">Who holds it (the actor, an API key id).</param>
/// <param name="ClaimedAt">When the claim began; renewing keeps it.</param>
/// <param name="ExpiresAt">When the claim ends unless renewed.</param>
public sealed record ReportClaim(Guid ReportId, string ClaimedBy, DateTimeOffset ClaimedAt, DateTimeOffset ExpiresAt);
