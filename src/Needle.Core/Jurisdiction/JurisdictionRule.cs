namespace Needle.Core.Jurisdiction;

/// <summary>Where reports of one country (or one region of it) go.</summary>
/// <param name="Country">ISO 3166-1 alpha-2, e.g. <c>FR</c>.</param>
/// <param name="Region">ISO 3166-2 region, e.g. <c>CA-ON</c> (or just <c>ON</c>); null for the whole country.</param>
/// <param name="Queue">The review queue, e.g. <c>FR</c>.</param>
/// <param name="Agency">The agency the queue refers to, e.g. <c>OFMIN</c>.</param>
public sealed record JurisdictionRule(string Country, string? Region, string Queue, string? Agency);
