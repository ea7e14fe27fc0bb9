using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

/// <summary>
/// Semantics checked: a query overlapping writes returns only true hits (right distance) of entries that were present
/// and enabled at some time during the query, never the same entry twice, and every entry that was present and
/// enabled for the whole query.
/// </summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData("multi")]
    [InlineData("brute")]
    public async Task Concurrent_readers_see_consistent_results_while_a_writer_adds_and_removes(string kind)
    {
        var random = new Random(21);
        var stable = IndexTestData.ClusteredHashes(random, 2000);
        var stableIds = IndexTestData.Ids(stable.Length);
        IPdqIndex index = kind == "multi"
            ? MultiIndexHammingIndex.BuildFrom(stable, stableIds, new PdqIndexOptions { SubstringCount = 16, DeltaMergeThreshold = 300, Strategy = SearchStrategy.AlwaysTables })
            : BruteForcePdqIndex.BuildFrom(stable, stableIds);

        // Churn ids are odd (stable ids are multiples of 3 from 0, churn ids start far above) and their hashes are
        // near stable entries so they show up in queries. Every hash a churn id ever has is recorded before use.
        var churnHashes = new System.Collections.Concurrent.ConcurrentDictionary<int, PdqHash>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var writerRandom = new Random(5);
            var live = new List<int>();
            int next = 10_000_000;
            while (!stop.IsCancellationRequested)
            {
                if (live.Count < 400 || writerRandom.Next(2) == 0)
                {
                    int id = next++;
                    var hash = IndexTestData.FlipBits(writerRandom, stable[writerRandom.Next(stable.Length)], writerRandom.Next(0, 10));
                    churnHashes[id] = hash;
                    index.Add(id, hash);
                    live.Add(id);
                }
                else
                {
                    int at = writerRandom.Next(live.Count);
                    if (writerRandom.Next(3) == 0)
                    {
                        index.SetEnabled(live[at], writerRandom.Next(2) == 0);
                    }
                    else
                    {
                        index.Remove(live[at]);
                        live[at] = live[^1];
                        live.RemoveAt(live.Count - 1);
                    }
                }
            }
        });

        var stableEntries = IndexTestData.Entries(stable, stableIds);
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var readerRandom = new Random(100 + r);
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(2);
            int queries = 0;
            while (TimeProvider.System.GetUtcNow() < deadline)
            {
                var query = IndexTestData.FlipBits(readerRandom, stable[readerRandom.Next(stable.Length)], readerRandom.Next(0, 16));
                var hits = IndexTestData.Search(index, query, 31);
                Assert.Equal(hits.Count, hits.Select(h => h.EntryId).Distinct().Count());
                foreach (var hit in hits)
                {
                    var hash = stableEntries.TryGetValue(hit.EntryId, out var s) ? s : churnHashes[hit.EntryId];
                    Assert.Equal(hash.HammingDistance(query), hit.Distance);
                }

                // Stable entries are never touched by the writer, so all of them within range must be found.
                var found = hits.Select(h => h.EntryId).ToHashSet();
                foreach (var expected in IndexTestData.Reference(stableEntries, query, 31))
                {
                    Assert.Contains(expected.EntryId, found);
                }

                queries++;
            }

            return queries;
        })).ToArray();

        int[] queryCounts = await Task.WhenAll(readers);
        await stop.CancelAsync();
        await writer;
        Assert.All(queryCounts, count => Assert.True(count > 10));
    }
}
