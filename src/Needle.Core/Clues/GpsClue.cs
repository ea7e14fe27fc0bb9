namespace Needle.Core.Clues;

/// <summary>A GPS fix and where it is.</summary>
/// <param name="Latitude">Signed decimal degrees (WGS 84).</param>
/// <param name="Longitude">Signed decimal degrees.</param>
/// <param name="AltitudeMetres">Above sea level, when recorded.</param>
/// <param name="TimeUtc">The GPS fix's own UTC time, when recorded.</param>
/// <param name="Country">ISO 3166-1 alpha-2, null at sea or when the boundary data is not available.</param>
/// <param name="CountryName">English name of <paramref name="Country"/>.</param>
/// <param name="Region">ISO 3166-2 first-level subdivision (FR-ARA, CA-ON), when known.</param>
/// <param name="RegionName">English name of the region.</param>
public sealed record GpsClue(
    double Latitude,
    double Longitude,
    double? AltitudeMetres,
    DateTimeOffset? TimeUtc,
    string? Country,
    string? CountryName,
    string? Region,
    string? RegionName);
