namespace Needle.Geo;

/// <summary>Where a position is.</summary>
/// <param name="CountryCode">ISO 3166-1 alpha-2 of the country or territory (PR for Puerto Rico, HK for Hong Kong).</param>
/// <param name="CountryName">Its English name.</param>
/// <param name="SovereignCode">The sovereign state's code when it differs (US for PR), else null.</param>
/// <param name="Region">The first-level subdivision (FR-ARA for Lyon, CA-ON for Ottawa), when the data covers the point.</param>
/// <param name="Subdivision">The finer unit the data holds when the region is a group of them (FR-69, Rhône, for Lyon).</param>
public sealed record PlaceResult(string CountryCode, string CountryName, string? SovereignCode, AdminArea? Region, AdminArea? Subdivision);
