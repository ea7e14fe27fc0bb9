using System.Net;
using MaxMind.Db;

namespace Needle.Geo;

/// <summary>
/// IP address to country from an offline MaxMind-format (.mmdb) database: the ip-location-db country databases
/// (<c>country_code</c>) or MaxMind's own GeoIP2/GeoLite2 Country or City (<c>country.iso_code</c>). IPv4 and IPv6.
/// Memory-maps the file; thread-safe; dispose to unmap.
/// </summary>
public sealed class IpCountryDatabase : IDisposable
{
    private readonly Reader _reader;

    private IpCountryDatabase(string path, Reader reader)
    {
        Path = path;
        _reader = reader;
        var metadata = reader.Metadata;
        BuildDate = new DateTimeOffset(DateTime.SpecifyKind(metadata.BuildDate, DateTimeKind.Utc));
        var description = metadata.Description.TryGetValue("en", out var english) ? english : metadata.Description.Values.FirstOrDefault();
        Source = new GeoDataSource(
            $"{System.IO.Path.GetFileName(path)} (database type '{metadata.DatabaseType}'{(string.IsNullOrWhiteSpace(description) ? "" : ", " + description)})",
            BuildDate,
            System.IO.Path.GetFileName(path).StartsWith("geo-whois-asn-country", StringComparison.Ordinal)
                ? "CC0-1.0 (ip-location-db); RIR data CC BY 4.0, attribution: NRO (nro.net)"
                : "see the database's own licence");
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>When the database was built (its metadata's build epoch), in UTC.</summary>
    public DateTimeOffset BuildDate { get; }

    /// <summary>What to print beside each answer.</summary>
    public GeoDataSource Source { get; }

    /// <summary>Opens the database at <paramref name="path"/>.</summary>
    /// <exception cref="GeoDataMissingException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a MaxMind DB.</exception>
    public static IpCountryDatabase Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new GeoDataMissingException(full,
                $"the IP-to-country database is missing: no file at {full} (install it with scripts/fetch-geodata.sh, or give another .mmdb path)");
        }

        try
        {
            return new IpCountryDatabase(full, new Reader(full, FileAccessMode.MemoryMapped));
        }
        catch (InvalidDatabaseException e)
        {
            throw new InvalidDataException($"{full} is not a readable MaxMind DB file ({e.Message})", e);
        }
    }

    /// <summary>The country of <paramref name="address"/> (IPv4, IPv6, or IPv4-mapped IPv6).</summary>
    public IpCountryResult Lookup(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        // An IPv4-only database cannot answer IPv6 queries; MaxMind.Db throws rather than saying "none".
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && _reader.Metadata.IPVersion == 4)
        {
            return new IpCountryResult(address, null, null, Source);
        }

        var record = _reader.Find<Dictionary<string, object>>(address, out var prefixLength);
        var network = record is null ? null : Network(address, prefixLength);
        return new IpCountryResult(address, record is null ? null : CountryOf(record), network, Source);
    }

    /// <summary>Unmaps the database file; no lookup may follow.</summary>
    public void Dispose() => _reader.Dispose();

    private static string? CountryOf(Dictionary<string, object> record)
    {
        if (record.TryGetValue("country_code", out var flat) && flat is string { Length: 2 } code)
        {
            return code.ToUpperInvariant();
        }

        foreach (var key in (ReadOnlySpan<string>)["country", "registered_country"])
        {
            if (record.TryGetValue(key, out var nested) && nested is IDictionary<string, object> country
                && country.TryGetValue("iso_code", out var iso) && iso is string { Length: 2 } isoCode)
            {
                return isoCode.ToUpperInvariant();
            }
        }

        return null;
    }

    /// <summary>The address masked to the record's prefix, as CIDR.</summary>
    private static string Network(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return $"{new IPAddress(bytes)}/{prefixLength}";
    }
}
