using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

/// <summary>Random and clustered hashes plus a naive reference search.</summary>
internal static class IndexTestData
{
    public static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 62),
            (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63), (ulong)random.NextInt64() ^ ((ulong)random.Next() << 61));

    /// <summary>Flips exactly <paramref name="flips"/> distinct bits of <paramref name="hash"/>.</summary>
    public static PdqHash FlipBits(Random random, PdqHash hash, int flips)
    {
        Span<ulong> words = stackalloc ulong[PdqHash.WordCount];
        hash.CopyTo(words);
        Span<ulong> flipped = stackalloc ulong[PdqHash.WordCount];
        flipped.Clear();
        for (int done = 0; done < flips;)
        {
            int bit = random.Next(PdqHash.Bits);
            ulong mask = 1UL << bit;
            if ((flipped[bit >> 6] & mask) == 0)
            {
                flipped[bit >> 6] |= mask;
                words[bit >> 6] ^= mask;
                done++;
            }
        }

        return PdqHash.FromWords(words);
    }

    /// <summary>Uniform random hashes.</summary>
    public static PdqHash[] RandomHashes(Random random, int count)
    {
        var hashes = new PdqHash[count];
        for (int i = 0; i < count; i++)
        {
            hashes[i] = RandomHash(random);
        }

        return hashes;
    }

    /// <summary>Clusters of near-duplicates: random centres, members 1..maxFlips bits away; includes exact duplicates.</summary>
    public static PdqHash[] ClusteredHashes(Random random, int count, int clusterSize = 25, int maxFlips = 20)
    {
        var hashes = new PdqHash[count];
        PdqHash centre = default;
        for (int i = 0; i < count; i++)
        {
            if (i % clusterSize == 0)
            {
                centre = RandomHash(random);
                hashes[i] = centre;
            }
            else
            {
                hashes[i] = FlipBits(random, centre, random.Next(0, maxFlips + 1));
            }
        }

        return hashes;
    }

    /// <summary>Queries: entries moved by up to maxFlips bits, and random hashes.</summary>
    public static PdqHash[] Queries(Random random, PdqHash[] entries, int count, int maxFlips)
    {
        var queries = new PdqHash[count];
        for (int q = 0; q < count; q++)
        {
            queries[q] = q % 3 == 2 ? RandomHash(random) : FlipBits(random, entries[random.Next(entries.Length)], random.Next(0, maxFlips + 1));
        }

        return queries;
    }

    public static int[] Ids(int count, int first = 0)
    {
        var ids = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = first + (i * 3);
        }

        return ids;
    }

    /// <summary>The obviously correct answer, sorted by id.</summary>
    public static List<HammingHit> Reference(IReadOnlyDictionary<int, PdqHash> enabledEntries, PdqHash query, int radius)
    {
        var hits = new List<HammingHit>();
        foreach (var (id, hash) in enabledEntries)
        {
            int d = hash.HammingDistance(query);
            if (d <= radius)
            {
                hits.Add(new HammingHit(id, d));
            }
        }

        return Sorted(hits);
    }

    public static List<HammingHit> Sorted(List<HammingHit> hits)
    {
        hits.Sort(static (a, b) => a.EntryId.CompareTo(b.EntryId));
        return hits;
    }

    public static List<HammingHit> Search(IPdqIndex index, PdqHash query, int radius)
    {
        var hits = new List<HammingHit>();
        index.RangeSearch(query, radius, hits);
        return Sorted(hits);
    }

    public static Dictionary<int, PdqHash> Entries(PdqHash[] hashes, int[] ids)
    {
        var entries = new Dictionary<int, PdqHash>();
        for (int i = 0; i < hashes.Length; i++)
        {
            entries[ids[i]] = hashes[i];
        }

        return entries;
    }
}
