using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// How multi-index hashing splits the 256 bits: m disjoint runs of consecutive bits, widths differing by at most one
/// (wider ones first), and the per-query plan of how far to search in each.
/// </summary>
internal sealed class SubstringLayout
{
    /// <summary>Widest substring: a direct-addressed bucket table of 2^28 int offsets is already 1 GiB.</summary>
    public const int MaxWidth = 28;

    // Relative costs for the planner, in "random memory accesses": a bucket probe and a candidate check each cost
    // about one cache miss; a full scan streams 32 bytes per entry through the SIMD kernel, measured at roughly 1/25
    // of a miss per entry.
    private const double ProbeCost = 1.0;
    private const double CandidateCost = 1.0;
    private const double ScanCostPerEntry = 0.04;

    /// <summary>Radius the layout is chosen for: the usual PDQ match threshold.</summary>
    private const int DesignRadius = 31;

    public SubstringLayout(int count)
    {
        if (count < 1 || PdqHash.Bits / count > MaxWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Substring count must be in {(PdqHash.Bits + MaxWidth - 1) / MaxWidth}..{PdqHash.Bits}.");
        }

        Count = count;
        Widths = new int[count];
        Offsets = new int[count];
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            Widths[i] = (PdqHash.Bits / count) + (i < PdqHash.Bits % count ? 1 : 0);
            Offsets[i] = offset;
            offset += Widths[i];
        }
    }

    public int Count { get; }

    public int[] Widths { get; }

    /// <summary>First bit of each substring.</summary>
    public int[] Offsets { get; }

    /// <summary>Bytes the bucket-offset tables take (2^w + 1 ints each).</summary>
    public long BucketTableBytes
    {
        get
        {
            long bytes = 0;
            foreach (int w in Widths)
            {
                bytes += ((1L << w) + 1) * sizeof(int);
            }

            return bytes;
        }
    }

    /// <summary>
    /// Picks the substring count with the lowest estimated cost at radius 31 whose bucket tables fit
    /// <paramref name="maxTableBytesPerEntry"/> (with a 4 MiB floor so small indexes still get tables).
    /// Null when no layout beats a full scan.
    /// </summary>
    public static SubstringLayout? Choose(int entries, int maxTableBytesPerEntry)
    {
        long budget = Math.Max(4L << 20, (long)maxTableBytesPerEntry * entries);
        SubstringLayout? best = null;
        Span<int> radiiBuffer = stackalloc int[PdqHash.Bits];
        double bestCost = ScanCost(entries);
        for (int m = (PdqHash.Bits + MaxWidth - 1) / MaxWidth; m <= 32; m++)
        {
            var layout = new SubstringLayout(m);
            if (layout.BucketTableBytes > budget)
            {
                continue;
            }

            var radii = radiiBuffer[..m];
            layout.PlanRadii(DesignRadius, radii);
            double cost = layout.EstimateCost(radii, entries);
            if (cost < bestCost)
            {
                best = layout;
                bestCost = cost;
            }
        }

        return best;
    }

    public static double ScanCost(long entries) => entries * ScanCostPerEntry;

    /// <summary>
    /// Per-substring search radii for a query radius. By the generalized pigeonhole principle, if substring i is searched
    /// within r_i and the sum of (r_i + 1) exceeds <paramref name="radius"/>, every hash within the radius lies within
    /// r_i of the query in some substring i. With q = radius / m and a = radius mod m, the first a + 1 substrings get q
    /// and the rest q - 1 (-1 means "not searched"): the sum of (r_i + 1) is then exactly radius + 1.
    /// </summary>
    public void PlanRadii(int radius, Span<int> radii)
    {
        int q = radius / Count;
        int a = radius - (q * Count);
        for (int i = 0; i < Count; i++)
        {
            radii[i] = i <= a ? q : q - 1;
        }
    }

    /// <summary>Estimated probes + candidates under uniformly random hashes.</summary>
    public double EstimateCost(ReadOnlySpan<int> radii, long entries)
    {
        double probes = 0;
        double candidates = 0;
        for (int i = 0; i < Count; i++)
        {
            double ball = BallSize(Widths[i], radii[i]);
            probes += ball;
            candidates += entries * ball / Math.Pow(2, Widths[i]);
        }

        return (probes * ProbeCost) + (candidates * CandidateCost);
    }

    /// <summary>Number of w-bit values within <paramref name="radius"/> of a given one.</summary>
    public static double BallSize(int width, int radius)
    {
        double total = 0;
        double binomial = 1;
        for (int k = 0; k <= Math.Min(radius, width); k++)
        {
            total += binomial;
            binomial = binomial * (width - k) / (k + 1);
        }

        return total;
    }

    /// <summary>The <paramref name="width"/> bits at bit <paramref name="offset"/> of the hash whose first word is <paramref name="words"/>[0].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static uint Extract(ref ulong words, int offset, int width)
    {
        int word = offset >> 6;
        int shift = offset & 63;
        ulong value = System.Runtime.CompilerServices.Unsafe.Add(ref words, word) >> shift;
        if (shift + width > 64)
        {
            value |= System.Runtime.CompilerServices.Unsafe.Add(ref words, word + 1) << (64 - shift);
        }

        return (uint)(value & ((1UL << width) - 1));
    }
}
