using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// Exact Hamming index using multi-index hashing (Norouzi, Punjani and Fleet): the 256 bits are split into m disjoint
/// substrings, each with a direct-addressed bucket table; a range query probes, per substring, the buckets within a
/// small radius of the query's substring and verifies the candidates on all 256 bits. Results equal a brute-force scan
/// for every radius; when the cost model says a scan is cheaper (large radii), it scans.
/// </summary>
/// <remarks>
/// <para>
/// Layout: a <em>main</em> segment (entries sorted by id, so id lookups are binary searches and need no map) with its
/// immutable bucket tables, plus a small append-only <em>delta</em> segment holding entries added since the last merge,
/// scanned by the SIMD kernel. Both live in an immutable <see cref="State"/> object that queries read once.
/// </para>
/// <para>
/// Writers serialize on one lock. Add appends to the delta (visible to the next query); when the delta reaches the merge
/// threshold, or on <see cref="Compact"/>, main and delta are rebuilt into a new main (counting sort, seconds for 10M)
/// and the new state is published; running queries finish on the old one. Remove and disable clear a live bit checked
/// at verification; removed slots are dropped at the next merge.
/// </para>
/// <para>
/// Guarantee for a query concurrent with writers: every hit is an entry that was present and enabled at some moment
/// during the query, with its true distance; every entry present and enabled for the whole query is returned; no entry
/// is returned twice. (Queries scan the delta before the main segment: an id removed from main and re-added to the
/// delta has its main bit cleared before the delta count that exposes it is published.)
/// </para>
/// </remarks>
public sealed class MultiIndexHammingIndex : IPdqIndex
{
    private const int InitialDeltaCapacity = 1024;

    private readonly Lock _writeLock = new();
    private readonly PdqIndexOptions _options;
    private readonly KernelPath _kernel;
    private readonly Dictionary<int, int> _deltaSlotById = [];
    private State _state;
    private int _count;
    private int _removedFromMain;

    /// <summary>An empty index; entries added go to the delta until the first merge.</summary>
    /// <param name="options">Null for <see cref="PdqIndexOptions.Default"/>.</param>
    public MultiIndexHammingIndex(PdqIndexOptions? options = null)
    {
        _options = options ?? PdqIndexOptions.Default;
        _kernel = _options.KernelPath;
        _state = new State(BuildMain(new PdqIndexData([], [], []), _options), new HashSegment(InitialDeltaCapacity));
    }

    private MultiIndexHammingIndex(MainSegment main, PdqIndexOptions options)
    {
        _options = options;
        _kernel = options.KernelPath;
        _state = new State(main, new HashSegment(InitialDeltaCapacity));
        _count = main.Segment.Count;
    }

    /// <summary>Builds an index from entries in one go (all enabled); ids need not be sorted but must be distinct.</summary>
    public static MultiIndexHammingIndex BuildFrom(ReadOnlySpan<PdqHash> hashes, ReadOnlySpan<int> ids, PdqIndexOptions? options = null) =>
        BuildFrom(PdqIndexData.FromHashes(hashes, ids), options);

    /// <summary>Builds an index from exported or loaded data; may take ownership of its arrays.</summary>
    public static MultiIndexHammingIndex BuildFrom(PdqIndexData data, PdqIndexOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= PdqIndexOptions.Default;
        return new MultiIndexHammingIndex(BuildMain(data, options), options);
    }

    /// <summary>
    /// Builds an index whose main segment is <paramref name="words"/> and <paramref name="ids"/> themselves, not a copy:
    /// slot s (below <paramref name="count"/>) has hash words [4s, 4s+4), id ids[s] and is live when its bit is set. The
    /// arrays may be longer than <paramref name="count"/>; the caller never changes the first <paramref name="count"/>
    /// entries afterwards and gives ids strictly increasing (so no sort and no duplicate check is needed).
    /// </summary>
    internal static MultiIndexHammingIndex BuildShared(ulong[] words, int[] ids, int count, ulong[] liveBits, PdqIndexOptions options)
    {
        var segment = new HashSegment(words, ids, liveBits, count);
        var layout = count == 0 ? null : options.SubstringCount is int m ? new SubstringLayout(m) : SubstringLayout.Choose(count, options.MaxBucketTableBytesPerEntry);
        var tables = layout is null ? null : MultiIndexTables.Build(layout, words, count);
        return new MultiIndexHammingIndex(new MainSegment(segment, tables), options);
    }

    /// <summary>The main segment's hash array (shared with its source after <see cref="BuildShared"/>).</summary>
    internal ulong[] MainWords => Volatile.Read(ref _state).Main.Segment.Words;

    /// <summary>Entries added since the last merge (held in the delta, scanned linearly).</summary>
    internal int DeltaCount => Volatile.Read(ref _state).Delta.Count;

    /// <summary>Bytes of the bucket tables alone.</summary>
    internal long TableBytes => Volatile.Read(ref _state).Main.Tables?.Bytes ?? 0;

    /// <inheritdoc/>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The options the index was made with (so an equal index can be built in one go).</summary>
    public PdqIndexOptions Options => _options;

    /// <summary>Whether queries use the scalar kernel.</summary>
    public bool UsesScalarKernel => _kernel == KernelPath.Scalar;

    /// <summary>Number of substrings of the main tables (0 when the main segment has no tables).</summary>
    public int SubstringCount => Volatile.Read(ref _state).Main.Tables?.Layout.Count ?? 0;

    /// <summary>Bytes held by hashes, ids, bitmaps and tables (exact array sizes; the small delta id map is not counted).</summary>
    public long StorageBytes
    {
        get
        {
            var state = Volatile.Read(ref _state);
            return state.Main.Segment.Bytes + (state.Main.Tables?.Bytes ?? 0) + state.Delta.Bytes;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Once the delta reaches the merge threshold, this call merges it into the tables (seconds for 10M entries).</remarks>
    public void Add(int entryId, PdqHash hash)
    {
        lock (_writeLock)
        {
            var state = _state;
            if (_deltaSlotById.ContainsKey(entryId) || FindInMain(state.Main, entryId) >= 0)
            {
                throw new ArgumentException($"Entry id {entryId} is already in the index.", nameof(entryId));
            }

            var delta = state.Delta;
            if (delta.Count == delta.Capacity)
            {
                delta = delta.Grow(delta.Capacity * 2);
                state = new State(state.Main, delta);
                Volatile.Write(ref _state, state);
            }

            _deltaSlotById[entryId] = delta.Append(entryId, hash, enabled: true);
            Volatile.Write(ref _count, _count + 1);
            if (delta.Count >= MergeThreshold(state.Main.Segment.Count))
            {
                MergeLocked();
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Clears the entry's bits; once removals from the main segment exceed the larger of the merge threshold and a quarter of it, this call merges.</remarks>
    public bool Remove(int entryId)
    {
        lock (_writeLock)
        {
            var state = _state;
            if (_deltaSlotById.Remove(entryId, out int deltaSlot))
            {
                HashSegment.SetBit(state.Delta.LiveBits, deltaSlot, false);
                HashSegment.SetBit(state.Delta.RemovedBits, deltaSlot, true);
            }
            else
            {
                int slot = FindInMain(state.Main, entryId);
                if (slot < 0)
                {
                    return false;
                }

                HashSegment.SetBit(state.Main.Segment.LiveBits, slot, false);
                HashSegment.SetBit(state.Main.Segment.RemovedBits, slot, true);
                _removedFromMain++;
            }

            Volatile.Write(ref _count, _count - 1);
            if (_removedFromMain > Math.Max(MergeThreshold(state.Main.Segment.Count), state.Main.Segment.Count / 4))
            {
                MergeLocked();
            }

            return true;
        }
    }

    /// <inheritdoc/>
    public bool SetEnabled(int entryId, bool enabled)
    {
        lock (_writeLock)
        {
            var state = _state;
            if (_deltaSlotById.TryGetValue(entryId, out int deltaSlot))
            {
                HashSegment.SetBit(state.Delta.LiveBits, deltaSlot, enabled);
                return true;
            }

            int slot = FindInMain(state.Main, entryId);
            if (slot < 0)
            {
                return false;
            }

            HashSegment.SetBit(state.Main.Segment.LiveBits, slot, enabled);
            return true;
        }
    }

    /// <summary>Merges recent additions into the tables and drops removed entries now.</summary>
    public void Compact()
    {
        lock (_writeLock)
        {
            MergeLocked();
        }
    }

    /// <inheritdoc/>
    /// <remarks>A radius over 256 is treated as 256.</remarks>
    public void RangeSearch(PdqHash query, int radius, List<HammingHit> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        RangeSearch(Volatile.Read(ref _state), query, Math.Min(radius, PdqHash.Bits), results, null);
    }

    /// <summary>As <see cref="RangeSearch(PdqHash, int, List{HammingHit})"/>, adding what the search did to <paramref name="counters"/>.</summary>
    internal void RangeSearch(PdqHash query, int radius, List<HammingHit> results, SearchCounters counters) =>
        RangeSearch(Volatile.Read(ref _state), query, Math.Min(radius, PdqHash.Bits), results, counters);

    /// <inheritdoc/>
    /// <remarks>Range searches of growing radius while the tables are cheaper than a scan, else a full scan.</remarks>
    public void TopK(PdqHash query, int k, List<HammingHit> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0)
        {
            return;
        }

        // Growing radius: once a range search finds k hits, the k nearest are among them (all entries up to that
        // distance were found). Stop growing when a scan becomes cheaper.
        var state = Volatile.Read(ref _state);
        Span<int> radii = stackalloc int[PdqHash.Bits];
        for (int radius = 16; radius <= PdqHash.Bits && UseTables(state.Main, radius, radii); radius += 16)
        {
            int start = results.Count;
            RangeSearch(state, query, radius, results, null);
            if (results.Count - start >= k)
            {
                TopKSelection.SortAndTruncate(results, start, k);
                return;
            }

            results.RemoveRange(start, results.Count - start);
        }

        TopKSelection.Scan(_kernel, query, k, results, state.Main.Segment, state.Delta);
    }

    /// <summary>Copies the entries out, sorted by id only within the merged part (consistent: taken under the writer lock).</summary>
    public PdqIndexData ExportData()
    {
        lock (_writeLock)
        {
            return BruteForcePdqIndex.ExportLive(_state.Main.Segment, _state.Delta);
        }
    }

    private void RangeSearch(State state, in PdqHash query, int radius, List<HammingHit> results, SearchCounters? counters)
    {
        // Delta first: see the class remarks.
        state.Delta.Scan(_kernel, query, radius, results);
        var main = state.Main;
        Span<int> radii = stackalloc int[PdqHash.Bits];
        if (UseTables(main, radius, radii))
        {
            main.Tables!.Search(main.Segment, query, radius, radii[..main.Tables.Layout.Count], results, counters);
        }
        else
        {
            if (counters is not null)
            {
                counters.Scans++;
            }

            main.Segment.Scan(_kernel, query, radius, results);
        }
    }

    /// <summary>Whether probing the tables beats a scan at this radius; fills <paramref name="radii"/> if so.</summary>
    private bool UseTables(MainSegment main, int radius, Span<int> radii)
    {
        if (main.Tables is not { } tables || _options.Strategy == SearchStrategy.AlwaysScan)
        {
            return false;
        }

        var layout = tables.Layout;
        var substringRadii = radii[..layout.Count];
        layout.PlanRadii(radius, substringRadii);
        if (_options.Strategy == SearchStrategy.AlwaysTables)
        {
            // Still refuse enumerations so large they would take seconds.
            double probes = 0;
            for (int i = 0; i < layout.Count; i++)
            {
                probes += SubstringLayout.BallSize(layout.Widths[i], substringRadii[i]);
            }

            return probes <= 1 << 20;
        }

        return layout.EstimateCost(substringRadii, main.Segment.Count) < SubstringLayout.ScanCost(main.Segment.Count);
    }

    private int MergeThreshold(int mainCount) =>
        _options.DeltaMergeThreshold ?? Math.Clamp(mainCount / 32, 4096, 1 << 18);

    private static int FindInMain(MainSegment main, int entryId)
    {
        int slot = Array.BinarySearch(main.Segment.Ids, 0, main.Segment.Count, entryId);
        return slot >= 0 && !main.Segment.IsRemoved(slot) ? slot : -1;
    }

    private void MergeLocked()
    {
        var data = BruteForcePdqIndex.ExportLive(_state.Main.Segment, _state.Delta);
        var main = BuildMain(data, _options);
        Volatile.Write(ref _state, new State(main, new HashSegment(InitialDeltaCapacity)));
        _deltaSlotById.Clear();
        _removedFromMain = 0;
    }

    /// <summary>Sorts entries by id (if needed), rejects duplicate ids and builds the tables.</summary>
    private static MainSegment BuildMain(PdqIndexData data, PdqIndexOptions options)
    {
        data = SortById(data);
        var ids = data.Ids;
        for (int i = 1; i < ids.Length; i++)
        {
            if (ids[i] == ids[i - 1])
            {
                throw new ArgumentException($"Entry id {ids[i]} appears more than once.", nameof(data));
            }
        }

        var segment = new HashSegment(data.HashWords, ids, data.EnabledBits, data.Count);
        var layout = options.SubstringCount is int m
            ? new SubstringLayout(m)
            : data.Count == 0 ? null : SubstringLayout.Choose(data.Count, options.MaxBucketTableBytesPerEntry);
        var tables = layout is null || data.Count == 0 ? null : MultiIndexTables.Build(layout, data.HashWords, data.Count);
        return new MainSegment(segment, tables);
    }

    private static PdqIndexData SortById(PdqIndexData data)
    {
        var ids = data.Ids;
        bool sorted = true;
        for (int i = 1; i < ids.Length && sorted; i++)
        {
            sorted = ids[i - 1] <= ids[i];
        }

        if (sorted)
        {
            return data;
        }

        var order = new int[ids.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var sortedIds = (int[])ids.Clone();
        Array.Sort(sortedIds, order);
        var words = LargeArrays.AllocateUninitialized<ulong>(data.HashWords.Length);
        var enabled = new ulong[data.EnabledBits.Length];
        for (int i = 0; i < order.Length; i++)
        {
            int from = order[i];
            data.HashWords.AsSpan(from * PdqHash.WordCount, PdqHash.WordCount).CopyTo(words.AsSpan(i * PdqHash.WordCount));
            if (data.IsEnabled(from))
            {
                enabled[i >> 6] |= 1UL << i;
            }
        }

        return new PdqIndexData(sortedIds, words, enabled);
    }

    private sealed record MainSegment(HashSegment Segment, MultiIndexTables? Tables);

    private sealed record State(MainSegment Main, HashSegment Delta);
}
