using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>Exact top-k by full scan: a distance histogram finds the k-th distance, a second scan collects up to it.</summary>
internal static class TopKSelection
{
    private static readonly Comparison<HammingHit> NearestFirst = static (a, b) =>
        a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.EntryId.CompareTo(b.EntryId);

    public static void Scan(KernelPath path, in PdqHash query, int k, List<HammingHit> results, HashSegment first, HashSegment? second)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0)
        {
            return;
        }

        // Counts are read once so both passes see the same slots.
        int firstCount = first.Count;
        int secondCount = second?.Count ?? 0;
        Span<int> histogram = stackalloc int[PdqHash.Bits + 1];
        first.AddDistanceHistogram(query, firstCount, histogram);
        second?.AddDistanceHistogram(query, secondCount, histogram);

        int radius = 0;
        for (int seen = 0; radius < PdqHash.Bits; radius++)
        {
            seen += histogram[radius];
            if (seen >= k)
            {
                break;
            }
        }

        int start = results.Count;
        first.Scan(path, query, radius, firstCount, results);
        second?.Scan(path, query, radius, secondCount, results);
        SortAndTruncate(results, start, k);
    }

    /// <summary>Sorts results[start..] nearest first (ties by lower id) and keeps the first k of them.</summary>
    public static void SortAndTruncate(List<HammingHit> results, int start, int k)
    {
        CollectionsMarshal.AsSpan(results)[start..].Sort(NearestFirst);
        if (results.Count - start > k)
        {
            results.RemoveRange(start + k, results.Count - start - k);
        }
    }
}
