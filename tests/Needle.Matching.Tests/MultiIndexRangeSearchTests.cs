using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class MultiIndexRangeSearchTests
{
    public static TheoryData<string, int?> Layouts => new()
    {
        { "random", 16 },
        { "random", 11 },
        { "random", null },
        { "clustered", 16 },
        { "clustered", 12 },
        { "clustered", null },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Range_search_equals_brute_force_for_radii_0_to_64_and_beyond(string data, int? substrings)
    {
        var random = new Random(42);
        var hashes = data == "random" ? IndexTestData.RandomHashes(random, 3000) : IndexTestData.ClusteredHashes(random, 3000);
        var ids = IndexTestData.Ids(hashes.Length);
        var tables = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = substrings, Strategy = SearchStrategy.AlwaysTables });
        var costBased = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = substrings });
        var bruteForce = BruteForcePdqIndex.BuildFrom(hashes, ids);
        var queries = IndexTestData.Queries(random, hashes, 12, 40);
        int[] radii = [.. Enumerable.Range(0, 65), 70, 80, 96, 128, 200, 256];
        foreach (var query in queries)
        {
            foreach (int radius in radii)
            {
                var expected = IndexTestData.Search(bruteForce, query, radius);
                Assert.Equal(expected, IndexTestData.Search(tables, query, radius));
                Assert.Equal(expected, IndexTestData.Search(costBased, query, radius));
            }
        }
    }

    [Fact]
    public void Brute_force_equals_the_naive_reference()
    {
        var random = new Random(7);
        var hashes = IndexTestData.ClusteredHashes(random, 1000);
        var ids = IndexTestData.Ids(hashes.Length);
        var entries = IndexTestData.Entries(hashes, ids);
        var index = BruteForcePdqIndex.BuildFrom(hashes, ids);
        foreach (var query in IndexTestData.Queries(random, hashes, 20, 40))
        {
            foreach (int radius in new[] { 0, 1, 10, 31, 63, 64, 128, 256 })
            {
                Assert.Equal(IndexTestData.Reference(entries, query, radius), IndexTestData.Search(index, query, radius));
            }
        }
    }

    [Fact]
    public void Every_radius_up_to_256_matches_brute_force_with_16_bit_substrings()
    {
        var random = new Random(3);
        var hashes = IndexTestData.ClusteredHashes(random, 500, clusterSize: 10, maxFlips: 60);
        var ids = IndexTestData.Ids(hashes.Length);
        var tables = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = 16, Strategy = SearchStrategy.AlwaysTables });
        var bruteForce = BruteForcePdqIndex.BuildFrom(hashes, ids);
        var query = IndexTestData.FlipBits(random, hashes[17], 20);
        for (int radius = 0; radius <= PdqHash.Bits; radius++)
        {
            Assert.Equal(IndexTestData.Search(bruteForce, query, radius), IndexTestData.Search(tables, query, radius));
        }
    }

    [Fact]
    public void Radius_above_256_returns_every_enabled_entry()
    {
        var random = new Random(5);
        var hashes = IndexTestData.RandomHashes(random, 200);
        var index = MultiIndexHammingIndex.BuildFrom(hashes, IndexTestData.Ids(200));
        Assert.Equal(200, IndexTestData.Search(index, IndexTestData.RandomHash(random), 1000).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => index.RangeSearch(default, -1, []));
    }

    [Fact]
    public void Duplicate_ids_are_refused_at_build()
    {
        var hashes = IndexTestData.RandomHashes(new Random(1), 3);
        Assert.Throws<ArgumentException>(() => MultiIndexHammingIndex.BuildFrom(hashes, [1, 2, 1]));
        Assert.Throws<ArgumentException>(() => BruteForcePdqIndex.BuildFrom(hashes, [1, 2, 1]));
    }
}
