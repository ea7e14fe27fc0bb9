using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// Exact index that compares the query with every entry using a SIMD kernel. Hashes live in one contiguous array (4
/// words per entry); the reference for <see cref="MultiIndexHammingIndex"/> and the right choice for small lists.
/// </summary>
/// <remarks>
/// Concurrency: one writer at a time (a lock) appends to a <see cref="HashSegment"/> and flips its bits; queries take
/// the current segment without locking. Growing or compacting copies into a new segment that is then published, so
/// queries already running keep a consistent old view. Removal tombstones a slot; tombstones are dropped when the
/// array must grow anyway and at least a quarter of it is dead.
/// </remarks>
public sealed class BruteForcePdqIndex : IPdqIndex
{
    private readonly Lock _writeLock = new();
    private readonly Dictionary<int, int> _slotById;
    private readonly KernelPath _kernel;
    private HashSegment _segment;
    private int _count;
    private int _removedSlots;

    /// <summary>An empty index.</summary>
    /// <param name="options">Null for <see cref="PdqIndexOptions.Default"/>; only <see cref="PdqIndexOptions.ForceScalarKernel"/> applies here.</param>
    public BruteForcePdqIndex(PdqIndexOptions? options = null)
        : this(new HashSegment(64), new Dictionary<int, int>(), options)
    {
    }

    private BruteForcePdqIndex(HashSegment segment, Dictionary<int, int> slotById, PdqIndexOptions? options)
    {
        _kernel = (options ?? PdqIndexOptions.Default).KernelPath;
        _segment = segment;
        _slotById = slotById;
        _count = slotById.Count;
    }

    /// <summary>Builds an index from entries in one go (all enabled).</summary>
    public static BruteForcePdqIndex BuildFrom(ReadOnlySpan<PdqHash> hashes, ReadOnlySpan<int> ids, PdqIndexOptions? options = null) =>
        BuildFrom(PdqIndexData.FromHashes(hashes, ids), options);

    /// <summary>Builds an index from exported or loaded data; takes ownership of its arrays.</summary>
    public static BruteForcePdqIndex BuildFrom(PdqIndexData data, PdqIndexOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var slotById = new Dictionary<int, int>(data.Count);
        for (int slot = 0; slot < data.Count; slot++)
        {
            if (!slotById.TryAdd(data.Ids[slot], slot))
            {
                throw new ArgumentException($"Entry id {data.Ids[slot]} appears more than once.", nameof(data));
            }
        }

        return new BruteForcePdqIndex(new HashSegment(data.HashWords, data.Ids, data.EnabledBits, data.Count), slotById, options);
    }

    /// <inheritdoc/>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Whether queries use the scalar kernel.</summary>
    public bool UsesScalarKernel => _kernel == KernelPath.Scalar;

    /// <summary>Bytes held by the hash storage and bitmaps (the id map is not counted).</summary>
    public long StorageBytes => Volatile.Read(ref _segment).Bytes;

    /// <inheritdoc/>
    /// <remarks>When the array is full it doubles, or is compacted instead if at least a quarter of its slots are removed.</remarks>
    public void Add(int entryId, PdqHash hash)
    {
        lock (_writeLock)
        {
            if (_slotById.ContainsKey(entryId))
            {
                throw new ArgumentException($"Entry id {entryId} is already in the index.", nameof(entryId));
            }

            var segment = _segment;
            if (segment.Count == segment.Capacity)
            {
                segment = _removedSlots * 4 >= segment.Count ? Compact(segment) : segment.Grow(segment.Capacity * 2);
                Volatile.Write(ref _segment, segment);
            }

            _slotById[entryId] = segment.Append(entryId, hash, enabled: true);
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The slot is tombstoned and only reclaimed by a later compaction.</remarks>
    public bool Remove(int entryId)
    {
        lock (_writeLock)
        {
            if (!_slotById.Remove(entryId, out int slot))
            {
                return false;
            }

            HashSegment.SetBit(_segment.LiveBits, slot, false);
            HashSegment.SetBit(_segment.RemovedBits, slot, true);
            _removedSlots++;
            Volatile.Write(ref _count, _count - 1);
            return true;
        }
    }

    /// <inheritdoc/>
    public bool SetEnabled(int entryId, bool enabled)
    {
        lock (_writeLock)
        {
            if (!_slotById.TryGetValue(entryId, out int slot))
            {
                return false;
            }

            HashSegment.SetBit(_segment.LiveBits, slot, enabled);
            return true;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Scans every entry; a radius over 256 is treated as 256.</remarks>
    public void RangeSearch(PdqHash query, int radius, List<HammingHit> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        Volatile.Read(ref _segment).Scan(_kernel, query, Math.Min(radius, PdqHash.Bits), results);
    }

    /// <inheritdoc/>
    public void TopK(PdqHash query, int k, List<HammingHit> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        TopKSelection.Scan(_kernel, query, k, results, Volatile.Read(ref _segment), null);
    }

    /// <summary>Copies the entries out (consistent: taken under the writer lock).</summary>
    public PdqIndexData ExportData()
    {
        lock (_writeLock)
        {
            return ExportLive(_segment, null);
        }
    }

    /// <summary>Copies every non-removed slot of the given segments, in slot order.</summary>
    internal static PdqIndexData ExportLive(HashSegment first, HashSegment? second)
    {
        int total = CountPresent(first) + (second is null ? 0 : CountPresent(second));
        var ids = GC.AllocateUninitializedArray<int>(total);
        var words = LargeArrays.AllocateUninitialized<ulong>(total * PdqHash.WordCount);
        var enabled = new ulong[HashSegment.BitmapLength(total)];
        int next = 0;
        CopyPresent(first, ids, words, enabled, ref next);
        if (second is not null)
        {
            CopyPresent(second, ids, words, enabled, ref next);
        }

        return new PdqIndexData(ids, words, enabled);
    }

    private static int CountPresent(HashSegment segment)
    {
        int present = 0;
        for (int slot = 0; slot < segment.Count; slot++)
        {
            present += segment.IsRemoved(slot) ? 0 : 1;
        }

        return present;
    }

    private static void CopyPresent(HashSegment segment, int[] ids, ulong[] words, ulong[] enabled, ref int next)
    {
        int count = segment.Count;
        for (int slot = 0; slot < count; slot++)
        {
            if (segment.IsRemoved(slot))
            {
                continue;
            }

            ids[next] = segment.Ids[slot];
            segment.Words.AsSpan(slot * PdqHash.WordCount, PdqHash.WordCount).CopyTo(words.AsSpan(next * PdqHash.WordCount));
            if (segment.IsLive(slot))
            {
                enabled[next >> 6] |= 1UL << next;
            }

            next++;
        }
    }

    private HashSegment Compact(HashSegment segment)
    {
        var compacted = new HashSegment(Math.Max(64, (segment.Count - _removedSlots) * 2));
        int count = segment.Count;
        for (int slot = 0; slot < count; slot++)
        {
            if (!segment.IsRemoved(slot))
            {
                int id = segment.Ids[slot];
                _slotById[id] = compacted.Append(id, segment.HashAt(slot), segment.IsLive(slot));
            }
        }

        _removedSlots = 0;
        return compacted;
    }
}
