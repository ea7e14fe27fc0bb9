namespace Needle.Geo;

/// <summary>Default locations of the data files.</summary>
public static class GeoDataPaths
{
    /// <summary>The environment variable that overrides <see cref="DefaultIpDatabase"/>.</summary>
    public const string IpDatabaseVariable = "NEEDLE_IP_DB";

    /// <summary>File name of the IP database that <c>scripts/fetch-geodata.sh</c> installs.</summary>
    public const string IpDatabaseFileName = "geo-whois-asn-country.mmdb";

    /// <summary>The boundary files shipped beside the library (<c>geo/</c> in the output folder).</summary>
    public static string BoundaryDirectory => Path.Combine(AppContext.BaseDirectory, "geo");

    /// <summary>
    /// The IP database to use when none is given: <c>$NEEDLE_IP_DB</c>; else <c>geo/ip/</c> beside the program; else
    /// <c>data/geo/ip/</c> in the nearest enclosing source tree (where <c>scripts/fetch-geodata.sh</c> puts it).
    /// Returns the first candidate when none exists, so the error names a real expected place.
    /// </summary>
    public static string DefaultIpDatabase
    {
        get
        {
            if (Environment.GetEnvironmentVariable(IpDatabaseVariable) is { Length: > 0 } fromEnvironment)
            {
                return fromEnvironment;
            }

            var besideProgram = Path.Combine(AppContext.BaseDirectory, "geo", "ip", IpDatabaseFileName);
            if (File.Exists(besideProgram))
            {
                return besideProgram;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "data", "geo", "ip", IpDatabaseFileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return besideProgram;
        }
    }
}
