namespace Needle.Core.Jurisdiction;

/// <summary>
/// Where reports go: what a rule routes to, and the default for reports no rule claims (or with no location clue at
/// all).
/// </summary>
/// <param name="Queue">The review queue, e.g. <c>FR</c> or <c>international</c>.</param>
/// <param name="Agency">The agency the queue refers to; null when none is named.</param>
public sealed record JurisdictionTarget(string Queue, string? Agency);
