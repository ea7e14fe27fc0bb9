using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class TopKTests
{
    [Theory]
    [InlineData("random")]
    [InlineData("clustered")]
    public void TopK_equals_brute_force_nearest_first_ties_by_lower_id(string data)
    {
        var random = new Random(11);
        var hashes = data == "random" ? IndexTestData.RandomHashes(random, 4000) : IndexTestData.ClusteredHashes(random, 4000);
        var ids = IndexTestData.Ids(hashes.Length);
        var entries = IndexTestData.Entries(hashes, ids);
        var multiIndex = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = 16 });
        var bruteForce = BruteForcePdqIndex.BuildFrom(hashes, ids);
        foreach (var query in IndexTestData.Queries(random, hashes, 15, 50))
        {
            foreach (int k in new[] { 1, 5, 30, 100 })
            {
                var expected = entries
                    .Select(e => new HammingHit(e.Key, e.Value.HammingDistance(query)))
                    .OrderBy(h => h.Distance).ThenBy(h => h.EntryId).Take(k).ToList();
                var fromBrute = new List<HammingHit>();
                bruteForce.TopK(query, k, fromBrute);
                var fromMulti = new List<HammingHit>();
                multiIndex.TopK(query, k, fromMulti);
                Assert.Equal(expected, fromBrute);
                Assert.Equal(expected, fromMulti);
            }
        }
    }

    [Fact]
    public void TopK_skips_disabled_entries_and_handles_k_larger_than_count()
    {
        var random = new Random(2);
        var hashes = IndexTestData.RandomHashes(random, 50);
        var ids = IndexTestData.Ids(50);
        var index = MultiIndexHammingIndex.BuildFrom(hashes, ids);
        index.SetEnabled(ids[0], false);
        var hits = new List<HammingHit>();
        index.TopK(hashes[0], 100, hits);
        Assert.Equal(49, hits.Count);
        Assert.DoesNotContain(hits, h => h.EntryId == ids[0]);
        hits.Clear();
        index.TopK(hashes[0], 0, hits);
        Assert.Empty(hits);
    }
}
