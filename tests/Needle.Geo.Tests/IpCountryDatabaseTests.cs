using System.Net;

namespace Needle.Geo.Tests;

/// <summary>
/// Reads the real database that scripts/fetch-geodata.sh installs (.ci/run runs it first). Without it these tests
/// fail with the path and the script to run: a test that cannot find its data must not pass.
/// </summary>
public sealed class IpCountryDatabaseTests : IDisposable
{
    private readonly IpCountryDatabase _database = IpCountryDatabase.Open(GeoDataPaths.DefaultIpDatabase);

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("193.0.6.139", "NL")] // RIPE NCC's own network (Amsterdam), assigned by RIPE to itself
    [InlineData("200.160.2.3", "BR")] // NIC.br (registro.br), Brazil's national internet registry
    [InlineData("202.12.29.1", "AU")] // APNIC's own network (Brisbane)
    [InlineData("192.0.32.8", "US")] // ICANN / IANA, Los Angeles
    public void IPv4_addresses_of_registries_resolve_to_their_countries(string address, string country)
    {
        var result = _database.Lookup(IPAddress.Parse(address));
        Assert.Equal(country, result.CountryCode);
        Assert.NotNull(result.Network);
        Assert.Equal(_database.Source, result.Source);
    }

    [Theory]
    [InlineData("2001:67c:2e8::2", "NL")] // RIPE NCC
    [InlineData("2001:12ff::1", "BR")] // NIC.br
    [InlineData("2001:dd8:8::1", "AU")] // APNIC
    public void IPv6_addresses_resolve(string address, string country) =>
        Assert.Equal(country, _database.Lookup(IPAddress.Parse(address)).CountryCode);

    [Fact]
    public void IPv4_mapped_IPv6_is_looked_up_as_IPv4()
    {
        var mapped = _database.Lookup(IPAddress.Parse("::ffff:193.0.6.139"));
        Assert.Equal("NL", mapped.CountryCode);
        Assert.Equal(IPAddress.Parse("193.0.6.139"), mapped.Address);
    }

    [Theory]
    [InlineData("10.1.2.3")] // private
    [InlineData("127.0.0.1")] // loopback
    [InlineData("fe80::1")] // link-local
    public void Reserved_addresses_have_no_country(string address) => Assert.Null(_database.Lookup(IPAddress.Parse(address)).CountryCode);

    [Fact]
    public void The_build_date_comes_from_the_database_metadata()
    {
        // The pinned package 2.3.2026061719 was built in June 2026; anything far off means the metadata was misread.
        Assert.InRange(_database.BuildDate, new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(_database.BuildDate, _database.Source.Date);
        Assert.Contains("NRO", _database.Source.Licence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_database_is_a_clear_error_naming_the_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "needle-no-such-" + Guid.NewGuid().ToString("N") + ".mmdb");
        var error = Assert.Throws<GeoDataMissingException>(() => IpCountryDatabase.Open(missing));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("fetch-geodata.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_refused_with_its_path()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a database");
            var error = Assert.Throws<InvalidDataException>(() => IpCountryDatabase.Open(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
