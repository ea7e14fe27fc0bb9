using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Geo;

namespace Needle.Server.Web;

/// <summary>
/// The world outline of the report page: one SVG path drawn from the same country boundaries the reverse geocoder uses
/// (data/geo/countries.geojson, shipped beside the libraries), in an equirectangular projection (x = longitude + 180,
/// y = 90 - latitude), rounded to a tenth of a degree. Built once, on first use; markers are added per page.
/// </summary>
internal sealed class WorldMap(string boundaryDirectory)
{
    /// <summary>The drawing's coordinates: 360 by 150 (latitude 90 N to 60 S; Antarctica is left out).</summary>
    public const double Width = 360, Height = 150;

    private const double SouthEdge = -60;

    private readonly Lazy<string> _outline = new(() => Load(boundaryDirectory), LazyThreadSafetyMode.ExecutionAndPublication);

    public static WorldMap Default() => new(GeoDataPaths.BoundaryDirectory);

    /// <summary>The SVG path data of every country, or "" when the boundary file is missing (the map then shows only markers).</summary>
    public string Outline => _outline.Value;

    public static (double X, double Y) Project(double latitude, double longitude) =>
        (Math.Round(longitude + 180, 2), Math.Round(90 - Math.Max(latitude, SouthEdge), 2));

    private static string Load(string directory)
    {
        var path = Path.Combine(directory, ReverseGeocoder.CountriesFileName);
        if (!File.Exists(path))
        {
            return "";
        }

        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        var outline = new StringBuilder(256 * 1024);
        foreach (var feature in document.RootElement.GetProperty("features").EnumerateArray())
        {
            if (!feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var type = geometry.GetProperty("type").GetString();
            var coordinates = geometry.GetProperty("coordinates");
            if (type == "Polygon")
            {
                AppendPolygon(outline, coordinates);
            }
            else if (type == "MultiPolygon")
            {
                foreach (var polygon in coordinates.EnumerateArray())
                {
                    AppendPolygon(outline, polygon);
                }
            }
        }

        return outline.ToString();
    }

    private static void AppendPolygon(StringBuilder path, JsonElement polygon)
    {
        // The outer ring only: holes (enclaves) are other countries, drawn as their own shapes.
        foreach (var ring in polygon.EnumerateArray())
        {
            var lastX = double.NaN;
            var lastY = double.NaN;
            var points = 0;
            var start = path.Length;
            foreach (var point in ring.EnumerateArray())
            {
                var longitude = point[0].GetDouble();
                var latitude = point[1].GetDouble();
                var (x, y) = Project(latitude, longitude);
                x = Math.Round(x, 1);
                y = Math.Round(y, 1);
                if (x == lastX && y == lastY)
                {
                    continue;
                }

                path.Append(points == 0 ? 'M' : 'L').Append(x.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(y.ToString(CultureInfo.InvariantCulture));
                lastX = x;
                lastY = y;
                points++;
            }

            if (points < 3)
            {
                // Too small to see at this scale.
                path.Length = start;
                continue;
            }

            path.Append('Z');
            break;
        }
    }
}
