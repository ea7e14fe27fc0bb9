using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// Entries stored by slot: hashes (4 words per slot, contiguous), ids and two bitmaps. Append-only: one writer appends
/// and flips bits under its lock while any number of readers search.
/// </summary>
/// <remarks>
/// Publication: the writer fills a slot and its bits, then publishes the new <see cref="Count"/> with a release write; a
/// reader reads <see cref="Count"/> once (acquire) and only looks at slots below it. Bits are flipped with interlocked
/// operations, so a reader sees each bit either before or after a change, never torn.
/// </remarks>
internal sealed class HashSegment
{
    private int _count;

    public HashSegment(int capacity)
    {
        Words = GC.AllocateUninitializedArray<ulong>(checked(capacity * PdqHash.WordCount));
        Ids = GC.AllocateUninitializedArray<int>(capacity);
        LiveBits = new ulong[BitmapLength(capacity)];
        RemovedBits = new ulong[BitmapLength(capacity)];
    }

    /// <summary>Wraps filled arrays; every slot is present, live as <paramref name="enabledBits"/> says.</summary>
    public HashSegment(ulong[] words, int[] ids, ulong[] enabledBits, int count)
    {
        Words = words;
        Ids = ids;
        LiveBits = enabledBits;
        RemovedBits = new ulong[BitmapLength(ids.Length)];
        _count = count;
    }

    /// <summary>Hash words, slot s at [4s, 4s+4).</summary>
    public ulong[] Words { get; }

    /// <summary>Entry id per slot.</summary>
    public int[] Ids { get; }

    /// <summary>Bit per slot: present and enabled, so searchable.</summary>
    public ulong[] LiveBits { get; }

    /// <summary>Bit per slot: removed (a tombstone; the slot is reclaimed at the next rebuild).</summary>
    public ulong[] RemovedBits { get; }

    public int Capacity => Ids.Length;

    /// <summary>Published slot count; read it once per query.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Bytes held by the arrays.</summary>
    public long Bytes => (Words.LongLength * 8) + (Ids.LongLength * 4) + ((LiveBits.LongLength + RemovedBits.LongLength) * 8);

    public static int BitmapLength(int slots) => (slots + 63) >> 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool GetBit(ulong[] bits, int slot) =>
        (Volatile.Read(ref bits[slot >> 6]) & (1UL << slot)) != 0;

    public static void SetBit(ulong[] bits, int slot, bool value)
    {
        if (value)
        {
            Interlocked.Or(ref bits[slot >> 6], 1UL << slot);
        }
        else
        {
            Interlocked.And(ref bits[slot >> 6], ~(1UL << slot));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int slot) => GetBit(LiveBits, slot);

    public bool IsRemoved(int slot) => GetBit(RemovedBits, slot);

    public PdqHash HashAt(int slot) => PdqHash.FromWords(Words.AsSpan(slot * PdqHash.WordCount, PdqHash.WordCount));

    /// <summary>Writer only, with room left: fills the next slot and publishes it.</summary>
    public int Append(int entryId, PdqHash hash, bool enabled)
    {
        int slot = _count;
        hash.CopyTo(Words.AsSpan(slot * PdqHash.WordCount, PdqHash.WordCount));
        Ids[slot] = entryId;
        SetBit(RemovedBits, slot, false);
        SetBit(LiveBits, slot, enabled);
        Volatile.Write(ref _count, slot + 1);
        return slot;
    }

    /// <summary>Writer only: a copy with more room (readers of this segment are unaffected).</summary>
    public HashSegment Grow(int newCapacity)
    {
        var grown = new HashSegment(newCapacity);
        int count = _count;
        Words.AsSpan(0, count * PdqHash.WordCount).CopyTo(grown.Words);
        Ids.AsSpan(0, count).CopyTo(grown.Ids);
        LiveBits.AsSpan().CopyTo(grown.LiveBits);
        RemovedBits.AsSpan().CopyTo(grown.RemovedBits);
        grown._count = count;
        return grown;
    }

    /// <summary>Appends every live slot within <paramref name="radius"/> to <paramref name="results"/>.</summary>
    public void Scan(KernelPath path, in PdqHash query, int radius, List<HammingHit> results) =>
        Scan(path, query, radius, Count, results);

    public void Scan(KernelPath path, in PdqHash query, int radius, int count, List<HammingHit> results)
    {
        Span<int> hitIndexes = stackalloc int[HammingKernel.BlockEntries];
        Span<int> hitDistances = stackalloc int[HammingKernel.BlockEntries];
        ReadOnlySpan<ulong> words = Words;
        for (int blockStart = 0; blockStart < count; blockStart += HammingKernel.BlockEntries)
        {
            int blockCount = Math.Min(HammingKernel.BlockEntries, count - blockStart);
            int hits = HammingKernel.ScanBlock(
                path,
                words.Slice(blockStart * PdqHash.WordCount, blockCount * PdqHash.WordCount),
                query,
                radius,
                hitIndexes,
                hitDistances);
            for (int h = 0; h < hits; h++)
            {
                int slot = blockStart + hitIndexes[h];
                if (IsLive(slot))
                {
                    results.Add(new HammingHit(Ids[slot], hitDistances[h]));
                }
            }
        }
    }

    /// <summary>Adds to <paramref name="histogram"/> (257 counts) the distance of every live slot below <paramref name="count"/>.</summary>
    public void AddDistanceHistogram(in PdqHash query, int count, Span<int> histogram)
    {
        ref ulong words = ref MemoryMarshal.GetArrayDataReference(Words);
        for (int slot = 0; slot < count; slot++)
        {
            if (IsLive(slot))
            {
                histogram[HammingKernel.Distance(ref Unsafe.Add(ref words, slot * PdqHash.WordCount), query)]++;
            }
        }
    }
}
