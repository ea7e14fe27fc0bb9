using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class IncrementalUpdateTests
{
    public static TheoryData<string> Kinds => new() { "multi", "brute", "multi-small-delta" };

    private static IPdqIndex Create(string kind, PdqHash[] hashes, int[] ids) => kind switch
    {
        "multi" => MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = 16, Strategy = SearchStrategy.AlwaysTables }),
        "multi-small-delta" => MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = 16, DeltaMergeThreshold = 37, Strategy = SearchStrategy.AlwaysTables }),
        _ => BruteForcePdqIndex.BuildFrom(hashes, ids),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Add_remove_and_disable_are_visible_to_the_next_query_without_rebuild(string kind)
    {
        var random = new Random(9);
        var hashes = IndexTestData.ClusteredHashes(random, 1500);
        var ids = IndexTestData.Ids(hashes.Length);
        var index = Create(kind, hashes, ids);
        var model = IndexTestData.Entries(hashes, ids);
        var disabled = new HashSet<int>();
        int nextId = 1_000_000;

        for (int step = 0; step < 1500; step++)
        {
            int action = random.Next(10);
            var existing = model.Keys.ElementAt(random.Next(model.Count));
            if (action < 4)
            {
                var hash = random.Next(2) == 0 ? IndexTestData.RandomHash(random) : IndexTestData.FlipBits(random, model[existing], random.Next(0, 12));
                int id = random.Next(3) == 0 && !model.ContainsKey(existing + 1) ? existing + 1 : nextId++;
                index.Add(id, hash);
                model[id] = hash;
                Assert.Throws<ArgumentException>(() => index.Add(id, hash));
            }
            else if (action < 7)
            {
                Assert.True(index.Remove(existing));
                Assert.False(index.Remove(existing));
                model.Remove(existing);
                disabled.Remove(existing);
                Assert.False(index.SetEnabled(existing, true));
            }
            else
            {
                bool enable = random.Next(2) == 0;
                Assert.True(index.SetEnabled(existing, enable));
                if (enable)
                {
                    disabled.Remove(existing);
                }
                else
                {
                    disabled.Add(existing);
                }
            }

            Assert.Equal(model.Count, index.Count);
            if (step % 25 == 0)
            {
                var enabled = model.Where(e => !disabled.Contains(e.Key)).ToDictionary(e => e.Key, e => e.Value);
                var query = IndexTestData.FlipBits(random, model.Values.ElementAt(random.Next(model.Count)), random.Next(0, 20));
                foreach (int radius in new[] { 0, 8, 31, 48 })
                {
                    Assert.Equal(IndexTestData.Reference(enabled, query, radius), IndexTestData.Search(index, query, radius));
                }
            }
        }
    }

    [Fact]
    public void An_empty_index_grows_one_entry_at_a_time_and_compacts()
    {
        var random = new Random(4);
        var index = new MultiIndexHammingIndex(new PdqIndexOptions { DeltaMergeThreshold = 100 });
        var hashes = IndexTestData.ClusteredHashes(random, 1000);
        for (int i = 0; i < hashes.Length; i++)
        {
            index.Add(i, hashes[i]);
        }

        Assert.True(index.Remove(5));
        index.Compact();
        Assert.Equal(999, index.Count);
        var entries = IndexTestData.Entries(hashes, Enumerable.Range(0, 1000).ToArray());
        entries.Remove(5);
        foreach (var query in IndexTestData.Queries(random, hashes, 20, 30))
        {
            Assert.Equal(IndexTestData.Reference(entries, query, 31), IndexTestData.Search(index, query, 31));
        }

        index.Add(5, hashes[5]);
        Assert.Contains(new HammingHit(5, 0), IndexTestData.Search(index, hashes[5], 0));
    }
}
