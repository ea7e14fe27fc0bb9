using System.Net;
using BenchmarkDotNet.Attributes;
using Needle.Geo;

namespace Needle.Benchmarks.Geo;

/// <summary>
/// Offline location lookups once the data is loaded: position to country and region (STR-tree over polygon envelopes,
/// then indexed point-in-polygon), and IP to country (MaxMind DB, memory-mapped). The batch benchmarks report the cost
/// per lookup over 1,000 points or addresses spread over the globe (about half of the points are at sea).
/// </summary>
[MemoryDiagnoser]
public class GeoLookupBenchmarks
{
    private const int Batch = 1000;

    private ReverseGeocoder _geocoder = null!;
    private IpCountryDatabase _ipCountries = null!;
    private (double Lat, double Lon)[] _points = [];
    private IPAddress[] _addresses = [];

    [GlobalSetup]
    public void Setup()
    {
        _geocoder = ReverseGeocoder.LoadDefault();
        _ipCountries = IpCountryDatabase.Open(GeoDataPaths.DefaultIpDatabase); // scripts/fetch-geodata.sh installs it
        var random = new Random(42);
        _points = Enumerable.Range(0, Batch).Select(_ => ((random.NextDouble() * 150) - 60, (random.NextDouble() * 360) - 180)).ToArray();
        _addresses = Enumerable.Range(0, Batch).Select(i =>
        {
            var bytes = new byte[i % 2 == 0 ? 4 : 16];
            random.NextBytes(bytes);
            if (bytes.Length == 16)
            {
                bytes[0] = 0x20; // global unicast 2000::/3, where allocations are
            }

            return new IPAddress(bytes);
        }).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _ipCountries.Dispose();

    [Benchmark(Description = "position: Lyon (FR, FR-ARA)")]
    public PlaceResult? Lyon() => _geocoder.Lookup(45.7640, 4.8357);

    [Benchmark(Description = "position: mid-Atlantic (none)")]
    public PlaceResult? Atlantic() => _geocoder.Lookup(30.0, -40.0);

    [Benchmark(Description = "position: 1,000 random, per lookup", OperationsPerInvoke = Batch)]
    public int RandomPositions()
    {
        var found = 0;
        foreach (var (lat, lon) in _points)
        {
            found += _geocoder.Lookup(lat, lon) is null ? 0 : 1;
        }

        return found;
    }

    [Benchmark(Description = "ip: 1,000 random v4/v6, per lookup", OperationsPerInvoke = Batch)]
    public int RandomAddresses()
    {
        var found = 0;
        foreach (var address in _addresses)
        {
            found += _ipCountries.Lookup(address).CountryCode is null ? 0 : 1;
        }

        return found;
    }
}
