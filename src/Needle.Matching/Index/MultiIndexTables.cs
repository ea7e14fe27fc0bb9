using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// The bucket tables of multi-index hashing over one immutable <see cref="HashSegment"/>: for each substring, a
/// direct-addressed table of 2^w + 1 offsets into a contiguous array of slots sorted by that substring's value
/// (built with a two-pass counting sort).
/// </summary>
internal sealed class MultiIndexTables
{
    private readonly int[][] _bucketStarts;
    private readonly int[][] _bucketSlots;

    private MultiIndexTables(SubstringLayout layout, int[][] bucketStarts, int[][] bucketSlots)
    {
        Layout = layout;
        _bucketStarts = bucketStarts;
        _bucketSlots = bucketSlots;
    }

    public SubstringLayout Layout { get; }

    public long Bytes
    {
        get
        {
            long bytes = 0;
            for (int i = 0; i < Layout.Count; i++)
            {
                bytes += (_bucketStarts[i].LongLength + _bucketSlots[i].LongLength) * sizeof(int);
            }

            return bytes;
        }
    }

    public static MultiIndexTables Build(SubstringLayout layout, ulong[] words, int count)
    {
        var starts = new int[layout.Count][];
        var slots = new int[layout.Count][];
        Parallel.For(0, layout.Count, i =>
        {
            (starts[i], slots[i]) = CountingSort(words, count, layout.Offsets[i], layout.Widths[i]);
        });
        return new MultiIndexTables(layout, starts, slots);
    }

    private static (int[] Starts, int[] Slots) CountingSort(ulong[] words, int count, int offset, int width)
    {
        var starts = new int[(1 << width) + 1];
        ref ulong first = ref MemoryMarshal.GetArrayDataReference(words);

        // Pass 1: bucket sizes, shifted by one so the prefix sum yields starts.
        for (int slot = 0; slot < count; slot++)
        {
            starts[SubstringLayout.Extract(ref Unsafe.Add(ref first, slot * PdqHash.WordCount), offset, width) + 1]++;
        }

        for (int b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        // Pass 2: place slots; a cursor copy keeps starts intact. Slots within a bucket stay ascending.
        var cursor = GC.AllocateUninitializedArray<int>(starts.Length - 1);
        Array.Copy(starts, cursor, cursor.Length);
        var slots = GC.AllocateUninitializedArray<int>(count);
        for (int slot = 0; slot < count; slot++)
        {
            uint key = SubstringLayout.Extract(ref Unsafe.Add(ref first, slot * PdqHash.WordCount), offset, width);
            slots[cursor[key]++] = slot;
        }

        return (starts, slots);
    }

    /// <summary>
    /// Appends every live slot of <paramref name="segment"/> within <paramref name="radius"/>, probing substring i
    /// within radii[i] (see <see cref="SubstringLayout.PlanRadii"/>).
    /// </summary>
    /// <remarks>
    /// Deduplication needs no per-query memory: a hit found through substring i is skipped if some earlier substring
    /// j &lt; i is within radii[j] of the query, because the probe of substring j has then already reported it. The
    /// check runs only for hits, which are rare next to candidates.
    /// </remarks>
    public void Search(HashSegment segment, in PdqHash query, int radius, ReadOnlySpan<int> radii, List<HammingHit> results)
    {
        var layout = Layout;
        Span<ulong> queryWords = stackalloc ulong[PdqHash.WordCount];
        query.CopyTo(queryWords);
        Span<uint> queryKeys = stackalloc uint[layout.Count];
        for (int i = 0; i < layout.Count; i++)
        {
            queryKeys[i] = SubstringLayout.Extract(ref queryWords[0], layout.Offsets[i], layout.Widths[i]);
        }

        ref ulong words = ref MemoryMarshal.GetArrayDataReference(segment.Words);
        for (int i = 0; i < layout.Count; i++)
        {
            int width = layout.Widths[i];
            int substringRadius = Math.Min(radii[i], width);
            if (substringRadius < 0)
            {
                continue;
            }

            var probe = new BucketProbe(_bucketStarts[i], _bucketSlots[i], segment, ref words, query, radius, i, radii, queryKeys, layout, results);
            uint key = queryKeys[i];
            probe.Probe(key);
            ulong limit = 1UL << width;
            for (int k = 1; k <= substringRadius; k++)
            {
                // Gosper's hack: every width-bit mask with exactly k bits set, in increasing order.
                ulong mask = (1UL << k) - 1;
                while (mask < limit)
                {
                    probe.Probe(key ^ (uint)mask);
                    ulong t = mask | (mask - 1);
                    mask = (t + 1) | (((~t & (t + 1)) - 1) >> (BitOperations.TrailingZeroCount(mask) + 1));
                }
            }
        }
    }

    /// <summary>Checks the entries of buckets of one substring against the query.</summary>
    private readonly ref struct BucketProbe
    {
        private readonly int[] _starts;
        private readonly int[] _slots;
        private readonly HashSegment _segment;
        private readonly ref ulong _words;
        private readonly PdqHash _query;
        private readonly int _radius;
        private readonly int _substring;
        private readonly ReadOnlySpan<int> _radii;
        private readonly ReadOnlySpan<uint> _queryKeys;
        private readonly SubstringLayout _layout;
        private readonly List<HammingHit> _results;

        public BucketProbe(
            int[] starts, int[] slots, HashSegment segment, ref ulong words, in PdqHash query, int radius, int substring,
            ReadOnlySpan<int> radii, ReadOnlySpan<uint> queryKeys, SubstringLayout layout, List<HammingHit> results)
        {
            _starts = starts;
            _slots = slots;
            _segment = segment;
            _words = ref words;
            _query = query;
            _radius = radius;
            _substring = substring;
            _radii = radii;
            _queryKeys = queryKeys;
            _layout = layout;
            _results = results;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Probe(uint bucket)
        {
            ref int starts = ref MemoryMarshal.GetArrayDataReference(_starts);
            int begin = Unsafe.Add(ref starts, (nint)bucket);
            int end = Unsafe.Add(ref starts, (nint)bucket + 1);
            ref int slots = ref MemoryMarshal.GetArrayDataReference(_slots);
            for (int j = begin; j < end; j++)
            {
                int slot = Unsafe.Add(ref slots, j);
                ref ulong entry = ref Unsafe.Add(ref _words, (nint)slot * PdqHash.WordCount);
                int distance = HammingKernel.Distance(ref entry, _query);
                if (distance <= _radius && _segment.IsLive(slot) && !FoundThroughEarlierSubstring(ref entry))
                {
                    _results.Add(new HammingHit(_segment.Ids[slot], distance));
                }
            }
        }

        private bool FoundThroughEarlierSubstring(ref ulong entry)
        {
            for (int j = 0; j < _substring; j++)
            {
                if (_radii[j] >= 0 &&
                    BitOperations.PopCount(SubstringLayout.Extract(ref entry, _layout.Offsets[j], _layout.Widths[j]) ^ _queryKeys[j]) <= _radii[j])
                {
                    return true;
                }
            }

            return false;
        }
    }
}
