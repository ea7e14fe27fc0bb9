using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

/// <summary>
/// The staged (prefetching) multi-index probe: chunked ball enumeration, candidate buffers that fill in the middle of a
/// bucket, and the helpers that keep 100M-entry indexes within int and 2 GiB span limits.
/// </summary>
public class StagedSearchTests
{
    [Theory]
    [InlineData(8, 0, 1)]
    [InlineData(8, 3, 1)]
    [InlineData(16, 2, 7)]
    [InlineData(24, 2, 256)]
    [InlineData(26, 3, 256)]
    [InlineData(10, 10, 256)]
    [InlineData(12, 20, 100)]
    public void Ball_enumeration_in_chunks_yields_each_value_within_the_radius_once(int width, int radius, int chunk)
    {
        const uint centre = 0b1011_0110;
        var ball = new MultiIndexTables.BallEnumerator(centre, width, Math.Min(radius, width));
        var buffer = new uint[chunk];
        var seen = new HashSet<uint>();
        int filled;
        while ((filled = ball.Fill(buffer)) > 0)
        {
            Assert.InRange(filled, 1, chunk);
            for (int i = 0; i < filled; i++)
            {
                uint value = buffer[i];
                Assert.True(value < (1UL << width), $"{value} has more than {width} bits");
                Assert.InRange(System.Numerics.BitOperations.PopCount(value ^ centre), 0, radius);
                Assert.True(seen.Add(value), $"{value} enumerated twice");
            }
        }

        Assert.Equal(SubstringLayout.BallSize(width, radius), seen.Count);
        Assert.Equal(0, ball.Fill(buffer));
    }

    [Theory]
    [InlineData(32)]
    [InlineData(11)]
    [InlineData(16)]
    public void Buckets_larger_than_the_candidate_buffer_match_brute_force(int substrings)
    {
        // 700 copies of one hash fill a single bucket of every substring past the 256-slot candidate buffer, and 600
        // near copies spread over neighbouring buckets; plus random entries.
        var random = new Random(21);
        var centre = IndexTestData.RandomHash(random);
        var hashes = new PdqHash[2000];
        for (int i = 0; i < hashes.Length; i++)
        {
            hashes[i] = i < 700 ? centre : i < 1300 ? IndexTestData.FlipBits(random, centre, random.Next(1, 40)) : IndexTestData.RandomHash(random);
        }

        var ids = IndexTestData.Ids(hashes.Length);
        var tables = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { SubstringCount = substrings, Strategy = SearchStrategy.AlwaysTables });
        var bruteForce = BruteForcePdqIndex.BuildFrom(hashes, ids);
        tables.SetEnabled(5, false);
        bruteForce.SetEnabled(5, false);
        foreach (var query in new[] { centre, IndexTestData.FlipBits(random, centre, 5), IndexTestData.FlipBits(random, centre, 30), IndexTestData.RandomHash(random) })
        {
            foreach (int radius in new[] { 0, 1, 8, 31, 32, 48, 64 })
            {
                Assert.Equal(IndexTestData.Search(bruteForce, query, radius), IndexTestData.Search(tables, query, radius));
            }
        }
    }

    [Fact]
    public void Hash_words_of_100M_entries_split_into_chunks_that_cover_them_exactly()
    {
        const long totalWords = 100_000_000L * PdqHash.WordCount;
        long covered = 0;
        int chunks = 0;
        for (long start = 0; start < totalWords; start += PdqIndexFile.ChunkWords)
        {
            int length = PdqIndexFile.ChunkLength(totalWords, start);
            Assert.InRange(length, 1, PdqIndexFile.ChunkWords);
            Assert.True(start <= int.MaxValue, "array offsets must fit an int");
            Assert.True((long)length * sizeof(ulong) < int.MaxValue, "byte views must stay below 2 GiB");
            covered += length;
            chunks++;
        }

        Assert.Equal(totalWords, covered);
        Assert.Equal((int)((totalWords + PdqIndexFile.ChunkWords - 1) / PdqIndexFile.ChunkWords), chunks);
        Assert.Equal(5, PdqIndexFile.ChunkLength(PdqIndexFile.ChunkWords + 5L, PdqIndexFile.ChunkWords));
    }

    [Fact]
    public void Payload_length_of_100M_entries_does_not_overflow()
    {
        // ids 4n, bitmap 8 * ceil(n / 64), hashes 32n: 3.6 GB, past both int and uint.
        Assert.Equal((4L * 100_000_000) + (8L * 1_562_500) + (32L * 100_000_000), PdqIndexFile.PayloadLength(100_000_000));
        Assert.Equal(4L + 4 + 8 + 32, PdqIndexFile.PayloadLength(1));
    }

    [Fact]
    public void Large_arrays_are_usable_and_zeroed_when_asked()
    {
        var zeroed = LargeArrays.AllocateZeroed<int>(3 << 20);
        Assert.All(new[] { 0, 1, zeroed.Length / 2, zeroed.Length - 1 }, i => Assert.Equal(0, zeroed[i]));
        Assert.DoesNotContain(zeroed, value => value != 0);
        var words = LargeArrays.AllocateUninitialized<ulong>(5);
        Assert.Equal(5, words.Length);
        LargeArrays.AdviseHugePages(words);
    }
}
