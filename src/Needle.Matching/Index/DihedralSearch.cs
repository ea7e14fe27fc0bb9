using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>Dihedral-aware lookups for any <see cref="IPdqIndex"/>.</summary>
public static class DihedralSearch
{
    private static readonly Comparison<DihedralHit> ByIdThenDistanceThenTransform = static (a, b) =>
        a.EntryId != b.EntryId ? a.EntryId.CompareTo(b.EntryId)
        : a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance)
        : a.Transform.CompareTo(b.Transform);

    /// <summary>
    /// Appends every enabled entry within <paramref name="radius"/> of any of <paramref name="dihedralHashes"/> (the 8
    /// hashes of one image in <see cref="DihedralTransform"/> order), once per entry, with the transform that matched
    /// nearest; ordered by entry id.
    /// </summary>
    public static void RangeSearchDihedral(this IPdqIndex index, ReadOnlySpan<PdqHash> dihedralHashes, int radius, List<DihedralHit> results)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(results);
        if (dihedralHashes.Length != DihedralTransformNames.Count)
        {
            throw new ArgumentException($"Expected {DihedralTransformNames.Count} dihedral hashes, got {dihedralHashes.Length}.", nameof(dihedralHashes));
        }

        var perTransform = new List<HammingHit>();
        int start = results.Count;
        for (int t = 0; t < dihedralHashes.Length; t++)
        {
            perTransform.Clear();
            index.RangeSearch(dihedralHashes[t], radius, perTransform);
            foreach (var hit in perTransform)
            {
                results.Add(new DihedralHit(hit.EntryId, hit.Distance, (DihedralTransform)t));
            }
        }

        // Keep the best variant per entry: sort by (id, distance, transform) and keep each id's first.
        var span = CollectionsMarshal.AsSpan(results)[start..];
        span.Sort(ByIdThenDistanceThenTransform);
        int kept = 0;
        for (int i = 0; i < span.Length; i++)
        {
            if (kept == 0 || span[i].EntryId != span[kept - 1].EntryId)
            {
                span[kept++] = span[i];
            }
        }

        results.RemoveRange(start + kept, span.Length - kept);
    }
}
