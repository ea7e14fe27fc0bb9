using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Clustering;

/// <summary>
/// Groups scanned files' PDQ hashes for the "series" view: two hashes within the threshold are connected, and
/// clusters are the connected components (single linkage, so a chain A~B~C is one cluster even if A and C are far).
/// Pairs are found through an <see cref="IPdqIndex"/>; components by union-find.
/// </summary>
/// <param name="indexFactory">Makes an empty index for each <see cref="Cluster"/> call (brute force or multi-index: the result is the same).</param>
public sealed class PdqClusterer(Func<IPdqIndex> indexFactory)
{
    /// <summary>Clusters <paramref name="hashes"/> in a fresh index from the factory.</summary>
    /// <param name="hashes">The hashes; hash i gets cluster <c>ClusterIds[i]</c>.</param>
    /// <param name="threshold">Largest Hamming distance (0..256, inclusive) at which two hashes are linked.</param>
    public PdqClustering Cluster(IReadOnlyList<PdqHash> hashes, int threshold)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(threshold, PdqHash.Bits);
        var index = indexFactory();
        for (var i = 0; i < hashes.Count; i++)
        {
            index.Add(i, hashes[i]);
        }

        var parent = new int[hashes.Count];
        var size = new int[hashes.Count];
        for (var i = 0; i < parent.Length; i++)
        {
            parent[i] = i;
            size[i] = 1;
        }

        var hits = new List<HammingHit>();
        for (var i = 0; i < hashes.Count; i++)
        {
            hits.Clear();
            index.RangeSearch(hashes[i], threshold, hits);
            foreach (var hit in hits)
            {
                // Each pair is seen from both ends; join it once.
                if (hit.EntryId > i)
                {
                    Union(parent, size, i, hit.EntryId);
                }
            }
        }

        var ids = new int[hashes.Count];
        var idOfRoot = new Dictionary<int, int>();
        for (var i = 0; i < ids.Length; i++)
        {
            var root = Find(parent, i);
            if (!idOfRoot.TryGetValue(root, out var id))
            {
                id = idOfRoot.Count;
                idOfRoot[root] = id;
            }

            ids[i] = id;
        }

        return new PdqClustering(ids, idOfRoot.Count);
    }

    private static int Find(int[] parent, int x)
    {
        while (parent[x] != x)
        {
            parent[x] = parent[parent[x]]; // path halving
            x = parent[x];
        }

        return x;
    }

    private static void Union(int[] parent, int[] size, int a, int b)
    {
        a = Find(parent, a);
        b = Find(parent, b);
        if (a == b)
        {
            return;
        }

        if (size[a] < size[b])
        {
            (a, b) = (b, a);
        }

        parent[b] = a;
        size[a] += size[b];
    }
}
