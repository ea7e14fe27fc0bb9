using System.Globalization;
using Needle.Geo;

namespace Needle.Application.Clues;

/// <summary>
/// The offline geodata of one server, shared by all workers: the reverse geocoder (loaded on first use: most reports
/// carry no GPS) and the IP-to-country database (opened on first use). When either cannot be loaded, it says so once
/// through the warning callback and answers nothing, so processing never fails for missing geodata.
/// </summary>
public sealed class GeoLocator : IDisposable
{
    private readonly Lazy<ReverseGeocoder?> _geocoder;
    private readonly Lazy<IpCountryDatabase?> _ipDatabase;

    /// <summary>Geodata loaded lazily from the given files; nothing is read until first used.</summary>
    /// <param name="ipDatabasePath">The .mmdb file; null for no IP clues.</param>
    /// <param name="warn">Where to say that some data could not be loaded.</param>
    /// <param name="boundaryDirectory">The boundary files; default <see cref="GeoDataPaths.BoundaryDirectory"/>.</param>
    public GeoLocator(string? ipDatabasePath, Action<string> warn, string? boundaryDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(warn);
        IpDatabasePath = ipDatabasePath is null ? null : Path.GetFullPath(ipDatabasePath);
        _geocoder = new Lazy<ReverseGeocoder?>(() =>
        {
            try
            {
                return ReverseGeocoder.Load(boundaryDirectory ?? GeoDataPaths.BoundaryDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
            {
                warn($"warning: GPS positions will not be placed in countries: {e.Message}");
                return null;
            }
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        _ipDatabase = new Lazy<IpCountryDatabase?>(() =>
        {
            if (IpDatabasePath is null)
            {
                return null;
            }

            try
            {
                return IpCountryDatabase.Open(IpDatabasePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                warn($"warning: IP addresses will not be placed in countries (no IP clues): {e.Message}");
                return null;
            }
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The IP database path, full; null when IP clues are off.</summary>
    public string? IpDatabasePath { get; }

    /// <summary>True when the IP database file exists (checked at server start to warn early).</summary>
    public bool IpDatabaseExists => IpDatabasePath is not null && File.Exists(IpDatabasePath);

    /// <summary>The country and region of a position, or null at sea or without boundary data.</summary>
    public PlaceResult? Place(double latitude, double longitude) => _geocoder.Value?.Lookup(latitude, longitude);

    /// <summary>The IP database, or null when it is not available.</summary>
    public IpCountryDatabase? IpDatabase => _ipDatabase.Value;

    /// <summary>How evidence names the IP database: its file name and build date, e.g. <c>geo-whois-asn-country 2026-06-17</c>.</summary>
    public static string Describe(IpCountryDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileNameWithoutExtension(database.Path)} {database.BuildDate:yyyy-MM-dd}");
    }

    /// <summary>Closes the IP database if it was opened.</summary>
    public void Dispose()
    {
        if (_ipDatabase.IsValueCreated)
        {
            _ipDatabase.Value?.Dispose();
        }
    }
}
