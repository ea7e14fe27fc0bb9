using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>Which implementation of the distance kernel runs.</summary>
internal enum KernelPath
{
    Scalar = 0,
    Avx2 = 1,
    Avx512 = 2,
}

/// <summary>
/// Hamming distance kernels over hashes stored as 4 consecutive little-endian words per entry.
/// </summary>
/// <remarks>
/// .NET exposes no vector popcount (vpopcntq), so the SIMD paths use the nibble lookup-table popcount (vpshufb) and
/// vpsadbw to get one count per 64-bit lane. The four lane counts of several entries are then packed into 16-bit
/// fields of one vector and summed horizontally with two permutes, so one compare tests 4 (AVX2) or 8 (AVX-512)
/// entries at once. Single-candidate verification stays scalar: four popcnt instructions beat any vector round trip.
/// </remarks>
internal static class HammingKernel
{
    /// <summary>Most entries <see cref="ScanBlock"/> handles per call (so hit buffers can live on the stack).</summary>
    public const int BlockEntries = 256;

    public static KernelPath BestPath =>
        Avx512BW.IsSupported && Vector512.IsHardwareAccelerated ? KernelPath.Avx512
        : Avx2.IsSupported ? KernelPath.Avx2
        : KernelPath.Scalar;

    /// <summary>Distance between <paramref name="query"/> and the entry whose first word is <paramref name="entry"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Distance(ref ulong entry, in PdqHash query) =>
        BitOperations.PopCount(entry ^ query.W0) +
        BitOperations.PopCount(Unsafe.Add(ref entry, 1) ^ query.W1) +
        BitOperations.PopCount(Unsafe.Add(ref entry, 2) ^ query.W2) +
        BitOperations.PopCount(Unsafe.Add(ref entry, 3) ^ query.W3);

    /// <summary>
    /// Finds the entries of <paramref name="words"/> (at most <see cref="BlockEntries"/>) within
    /// <paramref name="radius"/> of <paramref name="query"/>; writes their indexes and distances and returns how many.
    /// </summary>
    public static int ScanBlock(
        KernelPath path, ReadOnlySpan<ulong> words, in PdqHash query, int radius, Span<int> hitIndexes, Span<int> hitDistances)
    {
        int entries = words.Length / PdqHash.WordCount;
        if (entries > BlockEntries)
        {
            throw new ArgumentException($"At most {BlockEntries} entries per block.", nameof(words));
        }

        int hits = 0;
        int done = 0;
        ref ulong start = ref MemoryMarshal.GetReference(words);
        if (path == KernelPath.Avx512)
        {
            done = ScanAvx512(ref start, entries, query, radius, hitIndexes, hitDistances, ref hits);
        }
        else if (path == KernelPath.Avx2)
        {
            done = ScanAvx2(ref start, entries, query, radius, hitIndexes, hitDistances, ref hits);
        }

        for (int i = done; i < entries; i++)
        {
            int d = Distance(ref Unsafe.Add(ref start, i * PdqHash.WordCount), query);
            if (d <= radius)
            {
                hitIndexes[hits] = i;
                hitDistances[hits] = d;
                hits++;
            }
        }

        return hits;
    }

    /// <summary>Writes the distance of every entry of <paramref name="words"/> into <paramref name="distances"/>.</summary>
    public static void Distances(ReadOnlySpan<ulong> words, in PdqHash query, Span<int> distances)
    {
        ref ulong start = ref MemoryMarshal.GetReference(words);
        int entries = words.Length / PdqHash.WordCount;
        for (int i = 0; i < entries; i++)
        {
            distances[i] = Distance(ref Unsafe.Add(ref start, i * PdqHash.WordCount), query);
        }
    }

    // 8 entries per step: 4 vectors of 2 entries each.
    private static int ScanAvx512(
        ref ulong start, int entries, in PdqHash query, int radius, Span<int> hitIndexes, Span<int> hitDistances, ref int hits)
    {
        var q = Vector512.Create(query.W0, query.W1, query.W2, query.W3, query.W0, query.W1, query.W2, query.W3);
        var lut = Vector512.Create(Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
        var nibble = Vector512.Create((byte)0x0F);
        var limit = Vector512.Create((ushort)Math.Min(radius, ushort.MaxValue));
        int i = 0;
        for (; i + 8 <= entries; i += 8)
        {
            ref ulong block = ref Unsafe.Add(ref start, i * PdqHash.WordCount);
            var c0 = LanePopCount512(Vector512.LoadUnsafe(ref block) ^ q, lut, nibble);
            var c1 = LanePopCount512(Vector512.LoadUnsafe(ref block, 8) ^ q, lut, nibble);
            var c2 = LanePopCount512(Vector512.LoadUnsafe(ref block, 16) ^ q, lut, nibble);
            var c3 = LanePopCount512(Vector512.LoadUnsafe(ref block, 24) ^ q, lut, nibble);

            // 16-bit field f of each lane now holds a word count of vector f; sum the 4 lanes of each 256-bit half.
            var packed = c0 | (c1 << 16) | (c2 << 32) | (c3 << 48);
            packed += Avx512F.Permute4x64(packed, 0b10_11_00_01);
            packed += Avx512F.Permute4x64(packed, 0b01_00_11_10);

            // Field f of lane 0 is entry 2f, field f of lane 4 (ushort 16 + f) is entry 2f + 1.
            var fields = packed.AsUInt16();
            ulong mask = Vector512.LessThanOrEqual(fields, limit).ExtractMostSignificantBits() & 0x000F_000FUL;
            while (mask != 0)
            {
                int bit = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                hitIndexes[hits] = i + (2 * (bit & 3)) + (bit >> 4);
                hitDistances[hits] = fields.GetElement(bit);
                hits++;
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> LanePopCount512(Vector512<ulong> x, Vector512<byte> lut, Vector512<byte> nibble)
    {
        var bytes = x.AsByte();
        var low = bytes & nibble;
        var high = Vector512.ShiftRightLogical(x, 4).AsByte() & nibble;
        var counts = Avx512BW.Shuffle(lut, low) + Avx512BW.Shuffle(lut, high);
        return Avx512BW.SumAbsoluteDifferences(counts, Vector512<byte>.Zero).AsUInt64();
    }

    // 4 entries per step: 4 vectors of 1 entry each.
    private static int ScanAvx2(
        ref ulong start, int entries, in PdqHash query, int radius, Span<int> hitIndexes, Span<int> hitDistances, ref int hits)
    {
        var q = Vector256.Create(query.W0, query.W1, query.W2, query.W3);
        var lut = Vector256.Create(Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
        var nibble = Vector256.Create((byte)0x0F);
        var limit = Vector256.Create((ushort)Math.Min(radius, ushort.MaxValue));
        int i = 0;
        for (; i + 4 <= entries; i += 4)
        {
            ref ulong block = ref Unsafe.Add(ref start, i * PdqHash.WordCount);
            var c0 = LanePopCount256(Vector256.LoadUnsafe(ref block) ^ q, lut, nibble);
            var c1 = LanePopCount256(Vector256.LoadUnsafe(ref block, 4) ^ q, lut, nibble);
            var c2 = LanePopCount256(Vector256.LoadUnsafe(ref block, 8) ^ q, lut, nibble);
            var c3 = LanePopCount256(Vector256.LoadUnsafe(ref block, 12) ^ q, lut, nibble);
            var packed = c0 | (c1 << 16) | (c2 << 32) | (c3 << 48);
            packed += Avx2.Permute4x64(packed, 0b10_11_00_01);
            packed += Avx2.Permute4x64(packed, 0b01_00_11_10);
            var fields = packed.AsUInt16();
            uint mask = Vector256.LessThanOrEqual(fields, limit).ExtractMostSignificantBits() & 0xFu;
            while (mask != 0)
            {
                int bit = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                hitIndexes[hits] = i + bit;
                hitDistances[hits] = fields.GetElement(bit);
                hits++;
            }
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> LanePopCount256(Vector256<ulong> x, Vector256<byte> lut, Vector256<byte> nibble)
    {
        var low = x.AsByte() & nibble;
        var high = Vector256.ShiftRightLogical(x, 4).AsByte() & nibble;
        var counts = Avx2.Shuffle(lut, low) + Avx2.Shuffle(lut, high);
        return Avx2.SumAbsoluteDifferences(counts, Vector256<byte>.Zero).AsUInt64();
    }
}
