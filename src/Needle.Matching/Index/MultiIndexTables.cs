using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>Slots whose keys are computed (and table lines prefetched) together while building.</summary>
    private const int BuildBlock = 64;

    /// <summary>
    /// Two-pass counting sort of the slots by one substring. Both passes do random read-modify-writes into a table of
    /// up to 2^28 counters, so they work in blocks: compute a block's keys and prefetch the counters they touch, then
    /// update them (and, placing, prefetch the destinations before writing), overlapping the cache misses.
    /// </summary>
    private static (int[] Starts, int[] Slots) CountingSort(ulong[] words, int count, int offset, int width)
    {
        var starts = LargeArrays.AllocateZeroed<int>((1 << width) + 1);
        ref ulong first = ref MemoryMarshal.GetArrayDataReference(words);
        ref int startsRef = ref MemoryMarshal.GetArrayDataReference(starts);
        Span<uint> keys = stackalloc uint[BuildBlock];
        Span<int> positions = stackalloc int[BuildBlock];

        // Pass 1: bucket sizes, shifted by one so the prefix sum yields starts.
        for (int block = 0; block < count; block += BuildBlock)
        {
            int n = Math.Min(BuildBlock, count - block);
            ExtractKeys(ref first, block, n, offset, width, keys);
            for (int k = 0; k < n; k++)
            {
                Prefetch(ref Unsafe.Add(ref startsRef, (nint)keys[k] + 1));
            }

            for (int k = 0; k < n; k++)
            {
                Unsafe.Add(ref startsRef, (nint)keys[k] + 1)++;
            }
        }

        for (int b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        // Pass 2: place slots; a cursor copy keeps starts intact. Slots within a bucket stay ascending.
        var cursor = LargeArrays.AllocateUninitialized<int>(starts.Length - 1);
        Array.Copy(starts, cursor, cursor.Length);
        ref int cursorRef = ref MemoryMarshal.GetArrayDataReference(cursor);
        var slots = LargeArrays.AllocateUninitialized<int>(count);
        ref int slotsRef = ref MemoryMarshal.GetArrayDataReference(slots);
        for (int block = 0; block < count; block += BuildBlock)
        {
            int n = Math.Min(BuildBlock, count - block);
            ExtractKeys(ref first, block, n, offset, width, keys);
            for (int k = 0; k < n; k++)
            {
                Prefetch(ref Unsafe.Add(ref cursorRef, (nint)keys[k]));
            }

            for (int k = 0; k < n; k++)
            {
                int position = Unsafe.Add(ref cursorRef, (nint)keys[k])++;
                positions[k] = position;
                Prefetch(ref Unsafe.Add(ref slotsRef, position));
            }

            for (int k = 0; k < n; k++)
            {
                Unsafe.Add(ref slotsRef, positions[k]) = block + k;
            }
        }

        return (starts, slots);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ExtractKeys(ref ulong words, int firstSlot, int n, int offset, int width, Span<uint> keys)
    {
        for (int k = 0; k < n; k++)
        {
            keys[k] = SubstringLayout.Extract(ref Unsafe.Add(ref words, (nint)(firstSlot + k) * PdqHash.WordCount), offset, width);
        }
    }

    /// <summary>
    /// Appends every live slot of <paramref name="segment"/> within <paramref name="radius"/>, probing substring i
    /// within radii[i] (see <see cref="SubstringLayout.PlanRadii"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The work is dominated by cache (and TLB) misses: a bucket offset, the bucket's slots and each candidate's hash
    /// are random reads into arrays of hundreds of megabytes. Each substring is therefore processed in stages over
    /// small stack buffers, each stage prefetching what the next will read so the misses overlap instead of forming
    /// dependent chains: (1) enumerate up to <see cref="KeyChunk"/> bucket keys and prefetch their offsets; (2) read
    /// the offsets and prefetch each non-empty bucket's slots; (3) gather the slots and prefetch their hashes;
    /// (4) verify the candidates.
    /// </para>
    /// <para>
    /// Deduplication needs no per-query memory: a hit found through substring i is skipped if some earlier substring
    /// j &lt; i is within radii[j] of the query, because the probe of substring j has then already reported it. The
    /// check runs only for hits, which are rare next to candidates.
    /// </para>
    /// </remarks>
    public void Search(
        HashSegment segment, in PdqHash query, int radius, ReadOnlySpan<int> radii, List<HammingHit> results, SearchCounters? counters = null)
    {
        long probes = 0;
        long buckets = 0;
        long candidateCount = 0;
        var layout = Layout;
        Span<ulong> queryWords = stackalloc ulong[PdqHash.WordCount];
        query.CopyTo(queryWords);
        Span<uint> queryKeys = stackalloc uint[layout.Count];
        for (int i = 0; i < layout.Count; i++)
        {
            queryKeys[i] = SubstringLayout.Extract(ref queryWords[0], layout.Offsets[i], layout.Widths[i]);
        }

        Span<uint> keys = stackalloc uint[KeyChunk];
        Span<int> ranges = stackalloc int[2 * KeyChunk];
        Span<int> candidates = stackalloc int[CandidateChunk];
        var verifier = new Verifier(segment, query, radius, radii, queryKeys, layout, results);
        for (int i = 0; i < layout.Count; i++)
        {
            int width = layout.Widths[i];
            int substringRadius = Math.Min(radii[i], width);
            if (substringRadius < 0)
            {
                continue;
            }

            ref int starts = ref MemoryMarshal.GetArrayDataReference(_bucketStarts[i]);
            ref int slots = ref MemoryMarshal.GetArrayDataReference(_bucketSlots[i]);
            var ball = new BallEnumerator(queryKeys[i], width, substringRadius);
            int pending = 0;
            int keyCount;
            while ((keyCount = ball.Fill(keys)) > 0)
            {
                // Stage 1: prefetch the bucket offsets.
                for (int k = 0; k < keyCount; k++)
                {
                    Prefetch(ref Unsafe.Add(ref starts, (nint)keys[k]));
                }

                probes += keyCount;

                // Stage 2: read them; prefetch the slots of non-empty buckets.
                int rangeCount = 0;
                for (int k = 0; k < keyCount; k++)
                {
                    nint key = (nint)keys[k];
                    int begin = Unsafe.Add(ref starts, key);
                    int end = Unsafe.Add(ref starts, key + 1);
                    if (end > begin)
                    {
                        Prefetch(ref Unsafe.Add(ref slots, begin));
                        ranges[rangeCount++] = begin;
                        ranges[rangeCount++] = end;
                    }
                }

                // Stage 3: gather the slots, prefetching their hashes; stage 4 whenever the buffer fills.
                buckets += rangeCount >> 1;
                for (int r = 0; r < rangeCount; r += 2)
                {
                    candidateCount += ranges[r + 1] - ranges[r];
                    for (int j = ranges[r], end = ranges[r + 1]; j < end; j++)
                    {
                        if (pending == CandidateChunk)
                        {
                            verifier.Verify(candidates, i);
                            pending = 0;
                        }

                        int slot = Unsafe.Add(ref slots, j);
                        verifier.PrefetchHash(slot);
                        candidates[pending++] = slot;
                    }
                }
            }

            verifier.Verify(candidates[..pending], i);
        }

        if (counters is not null)
        {
            counters.Probes += probes;
            counters.NonEmptyBuckets += buckets;
            counters.Candidates += candidateCount;
            counters.HashesRead += candidateCount;
        }
    }

    /// <summary>Bucket keys enumerated (and prefetched) per stage.</summary>
    private const int KeyChunk = 256;

    /// <summary>Candidates gathered (and prefetched) before they are verified.</summary>
    private const int CandidateChunk = 256;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref int location)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref location));
        }
    }

    /// <summary>
    /// Every width-bit value within a radius of a centre, in chunks: the centre, then for k = 1..radius the centre
    /// XOR every mask with exactly k bits set (Gosper's hack, increasing order).
    /// </summary>
    internal struct BallEnumerator
    {
        private readonly uint _centre;
        private readonly int _radius;
        private readonly ulong _limit;
        private int _k;
        private ulong _mask;
        private bool _centreDone;

        public BallEnumerator(uint centre, int width, int radius)
        {
            _centre = centre;
            _radius = radius;
            _limit = 1UL << width;
            _k = 1;
            _mask = 1;
        }

        /// <summary>Writes the next values into <paramref name="buffer"/>; returns how many (0 when done).</summary>
        public int Fill(Span<uint> buffer)
        {
            int n = 0;
            if (!_centreDone)
            {
                buffer[n++] = _centre;
                _centreDone = true;
            }

            while (n < buffer.Length && _k <= _radius)
            {
                ulong mask = _mask;
                if (mask >= _limit)
                {
                    _k++;
                    _mask = (1UL << _k) - 1;
                    continue;
                }

                buffer[n++] = _centre ^ (uint)mask;
                ulong t = mask | (mask - 1);
                _mask = (t + 1) | (((~t & (t + 1)) - 1) >> (BitOperations.TrailingZeroCount(mask) + 1));
            }

            return n;
        }
    }

    /// <summary>Checks candidate slots against the query and reports the live, not yet reported hits.</summary>
    private readonly ref struct Verifier
    {
        private readonly HashSegment _segment;
        private readonly ref ulong _words;
        private readonly PdqHash _query;
        private readonly int _radius;
        private readonly ReadOnlySpan<int> _radii;
        private readonly ReadOnlySpan<uint> _queryKeys;
        private readonly SubstringLayout _layout;
        private readonly List<HammingHit> _results;

        public Verifier(
            HashSegment segment, in PdqHash query, int radius, ReadOnlySpan<int> radii, ReadOnlySpan<uint> queryKeys,
            SubstringLayout layout, List<HammingHit> results)
        {
            _segment = segment;
            _words = ref MemoryMarshal.GetArrayDataReference(segment.Words);
            _query = query;
            _radius = radius;
            _radii = radii;
            _queryKeys = queryKeys;
            _layout = layout;
            _results = results;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void PrefetchHash(int slot)
        {
            if (Sse.IsSupported)
            {
                // A hash may straddle two cache lines: prefetch both ends.
                ref ulong entry = ref Unsafe.Add(ref _words, (nint)slot * PdqHash.WordCount);
                Sse.Prefetch0(Unsafe.AsPointer(ref entry));
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref entry, PdqHash.WordCount - 1)));
            }
        }

        /// <summary>Verifies candidates found through substring <paramref name="substring"/>.</summary>
        public void Verify(ReadOnlySpan<int> candidates, int substring)
        {
            for (int c = 0; c < candidates.Length; c++)
            {
                int slot = candidates[c];
                ref ulong entry = ref Unsafe.Add(ref _words, (nint)slot * PdqHash.WordCount);
                int distance = HammingKernel.Distance(ref entry, _query);
                if (distance <= _radius && _segment.IsLive(slot) && !FoundThroughEarlierSubstring(ref entry, substring))
                {
                    _results.Add(new HammingHit(_segment.Ids[slot], distance));
                }
            }
        }

        private bool FoundThroughEarlierSubstring(ref ulong entry, int substring)
        {
            for (int j = 0; j < substring; j++)
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
