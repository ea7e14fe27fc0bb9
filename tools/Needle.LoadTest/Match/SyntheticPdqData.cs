using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.LoadTest.Match;

/// <summary>
/// Synthetic PDQ index data for the <c>match</c> harness and the range-search micro-benchmark (bench/Needle.Benchmarks
/// compiles this file in too, so both measure the same data): random entries with near-duplicate clusters, and queries
/// near entries or random. The same <see cref="Random"/> seed gives the same data.
/// </summary>
internal static class SyntheticPdqData
{
    /// <summary>Random hashes, with a share replaced by clusters: a random centre and members a few bits from it.</summary>
    public static ulong[] GenerateEntries(Random random, int count, double clusteredFraction, int clusterSize, int clusterMaxFlips)
    {
        // The brute-force index takes this array as it is: advised for huge pages like the arrays the product allocates.
        var words = LargeArrays.AllocateUninitialized<ulong>(count * PdqHash.WordCount);
        for (int start = 0; start < words.Length; start += 1 << 24)
        {
            random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan(start, Math.Min(1 << 24, words.Length - start))));
        }

        int clustered = (int)(count * clusteredFraction);
        int size = Math.Max(1, clusterSize);
        for (int first = 0; first + size <= clustered; first += size)
        {
            // The first member (random) is the centre.
            var centre = words.AsSpan(first * PdqHash.WordCount, PdqHash.WordCount);
            for (int member = first + 1; member < first + size; member++)
            {
                var target = words.AsSpan(member * PdqHash.WordCount, PdqHash.WordCount);
                centre.CopyTo(target);
                FlipRandomBits(random, target, random.Next(1, clusterMaxFlips + 1));
            }
        }

        return words;
    }

    /// <summary>Half the queries are an entry with up to <paramref name="radius"/> bits flipped, half are random.</summary>
    public static PdqHash[] GenerateQueries(Random random, ulong[] entryWords, int count, int radius)
    {
        var queries = new PdqHash[count];
        Span<ulong> words = stackalloc ulong[PdqHash.WordCount];
        int entries = entryWords.Length / PdqHash.WordCount;
        for (int q = 0; q < queries.Length; q++)
        {
            if (q % 2 == 0 && entries > 0)
            {
                entryWords.AsSpan(random.Next(entries) * PdqHash.WordCount, PdqHash.WordCount).CopyTo(words);
                FlipRandomBits(random, words, random.Next(0, Math.Min(radius, PdqHash.Bits) + 1));
            }
            else
            {
                for (int w = 0; w < words.Length; w++)
                {
                    words[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
                }
            }

            queries[q] = PdqHash.FromWords(words);
        }

        return queries;
    }

    /// <summary>Flips exactly <paramref name="flips"/> distinct bits.</summary>
    public static void FlipRandomBits(Random random, Span<ulong> words, int flips)
    {
        Span<ulong> flipped = stackalloc ulong[PdqHash.WordCount];
        flipped.Clear();
        for (int done = 0; done < flips;)
        {
            int bit = random.Next(PdqHash.Bits);
            ulong mask = 1UL << bit;
            if ((flipped[bit >> 6] & mask) == 0)
            {
                flipped[bit >> 6] |= mask;
                words[bit >> 6] ^= mask;
                done++;
            }
        }
    }
}
