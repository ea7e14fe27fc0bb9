using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Needle.Geo;

namespace Needle.Server.Web;

/// <summary>
/// The world map of the report page, drawn from the boundary data the reverse geocoder ships with (data/geo): the
/// Natural Earth first-level regions (admin1.geojson.gz), whose coastlines are drawn finely, else the coarser country
/// borders. Equirectangular at half a degree per unit (x = 2 × (longitude + 180), y = 2 × (90 − latitude)), Antarctica
/// left out. The land is one SVG document served once and cached (<c>/static/world.svg</c>); each page lays its markers
/// over it in the same coordinates.
/// </summary>
internal sealed class WorldMap(string boundaryDirectory)
{
    public const int Width = 720, Height = 300;

    private const double SouthEdge = -60;

    private readonly Lazy<byte[]> _svg = new(() => Encoding.UTF8.GetBytes(Build(boundaryDirectory)), LazyThreadSafetyMode.ExecutionAndPublication);

    public static WorldMap Default() => new(GeoDataPaths.BoundaryDirectory);

    /// <summary>The land as a standalone SVG document (a blank sea when the boundary files are missing).</summary>
    public byte[] Svg => _svg.Value;

    public static (double X, double Y) Project(double latitude, double longitude) =>
        (Math.Round((longitude + 180) * 2, 1), Math.Round((90 - Math.Max(latitude, SouthEdge)) * 2, 1));

    private static string Build(string directory)
    {
        var land = new StringBuilder(512 * 1024);
        var regions = Path.Combine(directory, ReverseGeocoder.RegionsFileName);
        var countries = Path.Combine(directory, ReverseGeocoder.CountriesFileName);
        if (File.Exists(regions))
        {
            using var file = File.OpenRead(regions);
            using var unzipped = new GZipStream(file, CompressionMode.Decompress);
            AppendFeatures(land, unzipped);
        }
        else if (File.Exists(countries))
        {
            using var file = File.OpenRead(countries);
            AppendFeatures(land, file);
        }

        return $"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {Width} {Height}"><rect width="{Width}" height="{Height}" fill="#eef3f7"/><path fill="#cdd6df" stroke="#cdd6df" stroke-width=".5" stroke-linejoin="round" d="{land}"/></svg>""";
    }

    private static void AppendFeatures(StringBuilder land, Stream geoJson)
    {
        using var document = JsonDocument.Parse(geoJson);
        foreach (var feature in document.RootElement.GetProperty("features").EnumerateArray())
        {
            if (!feature.TryGetProperty("geometry", out var geometry) || geometry.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var coordinates = geometry.GetProperty("coordinates");
            switch (geometry.GetProperty("type").GetString())
            {
                case "Polygon":
                    AppendRing(land, coordinates);
                    break;
                case "MultiPolygon":
                    foreach (var polygon in coordinates.EnumerateArray())
                    {
                        AppendRing(land, polygon);
                    }

                    break;
            }
        }
    }

    /// <summary>The outer ring of a polygon (its holes are other regions, drawn on their own), in relative moves on the half-degree grid.</summary>
    private static void AppendRing(StringBuilder land, JsonElement polygon)
    {
        var points = new List<(int X, int Y)>();
        foreach (var point in polygon[0].EnumerateArray())
        {
            var longitude = point[0].GetDouble();
            var latitude = point[1].GetDouble();
            if (latitude < SouthEdge - 5)
            {
                // Antarctica: off the map.
                return;
            }

            var grid = ((int)Math.Round((longitude + 180) * 2), (int)Math.Round((90 - Math.Max(latitude, SouthEdge)) * 2));
            if (points.Count == 0 || points[^1] != grid)
            {
                points.Add(grid);
            }
        }

        if (points.Count > 1 && points[0] == points[^1])
        {
            points.RemoveAt(points.Count - 1);
        }

        if (points.Count < 3)
        {
            // Smaller than the grid: invisible at this scale.
            return;
        }

        land.Append('M').Append(points[0].X.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(points[0].Y.ToString(CultureInfo.InvariantCulture)).Append('l');
        for (var i = 1; i < points.Count; i++)
        {
            if (i > 1)
            {
                land.Append(' ');
            }

            land.Append((points[i].X - points[i - 1].X).ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append((points[i].Y - points[i - 1].Y).ToString(CultureInfo.InvariantCulture));
        }

        land.Append('z');
    }
}
