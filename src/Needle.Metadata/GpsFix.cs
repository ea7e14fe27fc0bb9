namespace Needle.Metadata;

/// <summary>A GPS position in signed decimal degrees (south and west negative), WGS 84.</summary>
/// <param name="Latitude">-90 to 90.</param>
/// <param name="Longitude">-180 to 180.</param>
/// <param name="AltitudeMetres">Above sea level (negative below), when recorded.</param>
/// <param name="TimestampUtc">The GPS fix's own UTC time (GPSDateStamp + GPSTimeStamp), when recorded.</param>
public sealed record GpsFix(double Latitude, double Longitude, double? AltitudeMetres, DateTime? TimestampUtc);
