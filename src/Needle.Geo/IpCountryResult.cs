using System.Net;

namespace Needle.Geo;

/// <summary>The answer for one IP address.</summary>
/// <param name="Address">The address asked about.</param>
/// <param name="CountryCode">ISO 3166-1 alpha-2, or null when the database has no record for the address.</param>
/// <param name="Network">The network the record covers, e.g. <c>193.0.0.0/21</c>, when there is one.</param>
/// <param name="Source">The database and its build date.</param>
public sealed record IpCountryResult(IPAddress Address, string? CountryCode, string? Network, GeoDataSource Source);
