namespace Needle.Core.Jurisdiction;

/// <summary>The queue for reports no rule claims (or with no location clue at all).</summary>
public sealed record JurisdictionTarget(string Queue, string? Agency);
