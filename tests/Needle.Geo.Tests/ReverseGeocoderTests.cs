namespace Needle.Geo.Tests;

public sealed class ReverseGeocoderTests
{
    // Loading parses ~6 MB of GeoJSON; one instance serves every test (it is immutable).
    private static readonly Lazy<ReverseGeocoder> Shared = new(ReverseGeocoder.LoadDefault);

    private static ReverseGeocoder Geocoder => Shared.Value;

    [Fact]
    public void Lyon_is_in_France_region_Auvergne_Rhone_Alpes()
    {
        var place = Geocoder.Lookup(45.7640, 4.8357);
        Assert.NotNull(place);
        Assert.Equal("FR", place.CountryCode);
        Assert.Equal("France", place.CountryName);
        Assert.Null(place.SovereignCode);
        Assert.Equal("FR-ARA", place.Region?.Code);
        Assert.Equal("Auvergne-Rhône-Alpes", place.Region?.Name);
        Assert.Equal("FR-69", place.Subdivision?.Code);
    }

    [Fact]
    public void Ottawa_is_in_Canada_Ontario()
    {
        var place = Geocoder.Lookup(45.4215, -75.6972);
        Assert.NotNull(place);
        Assert.Equal("CA", place.CountryCode);
        Assert.Equal(new AdminArea("CA-ON", "Ontario"), place.Region);
        Assert.Null(place.Subdivision);
    }

    [Theory]
    [InlineData(30.0, -40.0)] // mid-Atlantic
    [InlineData(-40.0, -120.0)] // South Pacific
    [InlineData(0.0, 0.0)] // "null island", a classic bogus GPS fix: Gulf of Guinea
    [InlineData(-9.107, -139.265)] // between the Marquesas: inside French Polynesia's generalised border, but sea
    [InlineData(-7.056, -140.261)] // open Pacific inside Kiribati's generalised border
    public void Points_at_sea_are_nowhere(double latitude, double longitude) => Assert.Null(Geocoder.Lookup(latitude, longitude));

    [Theory]
    [InlineData(91.0, 0.0)]
    [InlineData(0.0, 181.0)]
    [InlineData(double.NaN, 0.0)]
    public void Impossible_positions_are_nowhere(double latitude, double longitude) => Assert.Null(Geocoder.Lookup(latitude, longitude));

    [Fact]
    public void A_territory_reports_its_own_code_and_its_sovereign()
    {
        var sanJuan = Geocoder.Lookup(18.4655, -66.1057);
        Assert.NotNull(sanJuan);
        Assert.Equal("PR", sanJuan.CountryCode);
        Assert.Equal("US", sanJuan.SovereignCode);
    }

    [Theory]
    [InlineData(51.5007, -0.1246, "GB", "GB")] // London: England is a part of GB without its own ISO 3166-1 code
    [InlineData(28.1248, -15.4300, "ES", "ES")] // Las Palmas: IC is only exceptionally reserved, so Spain
    [InlineData(-33.9249, 18.4241, "ZA", "ZA")] // Cape Town
    [InlineData(-29.31, 27.48, "LS", "LS")] // Maseru: Lesotho is a hole in South Africa
    [InlineData(35.6762, 139.6503, "JP", "JP")] // Tokyo
    [InlineData(-34.6037, -58.3816, "AR", "AR")] // Buenos Aires
    public void Cities_land_in_their_countries(double latitude, double longitude, string country, string regionPrefix)
    {
        var place = Geocoder.Lookup(latitude, longitude);
        Assert.NotNull(place);
        Assert.Equal(country, place.CountryCode);
        Assert.NotNull(place.Region);
        Assert.StartsWith(regionPrefix + "-", place.Region.Code, StringComparison.Ordinal);
    }

    [Fact]
    public void Lookups_from_many_threads_agree_with_one_thread()
    {
        var random = new Random(7);
        var points = Enumerable.Range(0, 2000).Select(_ => (Lat: (random.NextDouble() * 150) - 60, Lon: (random.NextDouble() * 360) - 180)).ToArray();
        var sequential = points.Select(p => Geocoder.Lookup(p.Lat, p.Lon)).ToArray();
        var parallel = new PlaceResult?[points.Length];
        Parallel.For(0, points.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Geocoder.Lookup(points[i].Lat, points[i].Lon));
        Assert.Equal(sequential, parallel);
        Assert.InRange(sequential.Count(p => p is not null), 450, 700); // this band (60°S to 90°N) is about 28% land
    }

    [Fact]
    public void Sources_name_the_data_and_licences()
    {
        Assert.Equal(2, Geocoder.Sources.Count);
        Assert.Contains("country-coder", Geocoder.Sources[0].Name, StringComparison.Ordinal);
        Assert.Contains("Natural Earth", Geocoder.Sources[1].Name, StringComparison.Ordinal);
        Assert.InRange(Geocoder.CountryPolygonCount, 300, 100_000);
        Assert.InRange(Geocoder.RegionPolygonCount, 4000, 100_000);
    }

    [Fact]
    public void Without_region_data_the_country_borders_answer_alone()
    {
        using var countries = File.OpenRead(Path.Combine(GeoDataPaths.BoundaryDirectory, ReverseGeocoder.CountriesFileName));
        var countriesOnly = ReverseGeocoder.Load(countries, null);
        Assert.Equal(new PlaceResult("FR", "France", null, null, null), countriesOnly.Lookup(45.7640, 4.8357));
        Assert.Single(countriesOnly.Sources);
    }

    [Fact]
    public void A_missing_data_folder_is_a_clear_error_naming_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "needle-no-geo-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<GeoDataMissingException>(() => ReverseGeocoder.Load(missing));
        Assert.Contains(Path.Combine(missing, "countries.geojson"), error.Message, StringComparison.Ordinal);
    }
}
