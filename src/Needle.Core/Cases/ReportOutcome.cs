namespace Needle.Core.Cases;

/// <summary>A report's outcome as recorded. A report's current outcome is its latest; earlier ones stay as its history.</summary>
/// <param name="Id">The outcome's id, assigned by the store (increasing).</param>
/// <param name="ReportId">The report.</param>
/// <param name="Kind">Referral, informational or closed.</param>
/// <param name="Recipient">For a referral: the agency or queue it went to; null otherwise.</param>
/// <param name="Note">Why, or the recipient's reference.</param>
/// <param name="Actor">Who recorded it (an API key id).</param>
/// <param name="At">When.</param>
public sealed record ReportOutcome(long Id, Guid ReportId, OutcomeKind Kind, string? Recipient, string? Note, string Actor, DateTimeOffset At);
