using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class HammingKernelTests
{
    [Fact]
    public void Simd_and_scalar_kernels_find_the_same_hits_and_distances()
    {
        var random = new Random(17);
        var hashes = IndexTestData.ClusteredHashes(random, HammingKernel.BlockEntries - 3, maxFlips: 40);
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<PdqHash, ulong>(hashes.AsSpan());
        Span<int> indexes = stackalloc int[HammingKernel.BlockEntries];
        Span<int> distances = stackalloc int[HammingKernel.BlockEntries];
        Span<int> expectedIndexes = stackalloc int[HammingKernel.BlockEntries];
        Span<int> expectedDistances = stackalloc int[HammingKernel.BlockEntries];
        foreach (var query in IndexTestData.Queries(random, hashes, 30, 40))
        {
            foreach (int radius in new[] { 0, 5, 31, 64, 120, 128, 256 })
            {
                int expected = HammingKernel.ScanBlock(KernelPath.Scalar, words, query, radius, expectedIndexes, expectedDistances);
                foreach (var path in new[] { KernelPath.Avx2, KernelPath.Avx512 })
                {
                    if (path > HammingKernel.BestPath)
                    {
                        continue;
                    }

                    int actual = HammingKernel.ScanBlock(path, words, query, radius, indexes, distances);
                    // Order within a block is unspecified (AVX-512 interleaves two entries per vector).
                    Assert.Equal(Pairs(expectedIndexes[..expected], expectedDistances), Pairs(indexes[..actual], distances));
                }
            }
        }
    }

    private static List<(int Index, int Distance)> Pairs(ReadOnlySpan<int> indexes, ReadOnlySpan<int> distances)
    {
        var pairs = new List<(int, int)>();
        for (int i = 0; i < indexes.Length; i++)
        {
            pairs.Add((indexes[i], distances[i]));
        }

        pairs.Sort();
        return pairs;
    }

    [Fact]
    public void Forced_scalar_indexes_return_what_simd_indexes_return()
    {
        var random = new Random(19);
        var hashes = IndexTestData.ClusteredHashes(random, 5000);
        var ids = IndexTestData.Ids(hashes.Length);
        var scalarBrute = BruteForcePdqIndex.BuildFrom(hashes, ids, new PdqIndexOptions { ForceScalarKernel = true });
        var simdBrute = BruteForcePdqIndex.BuildFrom(hashes, ids);
        var scalarMulti = MultiIndexHammingIndex.BuildFrom(hashes, ids, new PdqIndexOptions { ForceScalarKernel = true, Strategy = SearchStrategy.AlwaysScan });
        Assert.True(scalarBrute.UsesScalarKernel);
        Assert.True(scalarMulti.UsesScalarKernel);
        Assert.Equal(HammingKernel.BestPath == KernelPath.Scalar, simdBrute.UsesScalarKernel);
        foreach (var query in IndexTestData.Queries(random, hashes, 30, 40))
        {
            foreach (int radius in new[] { 0, 16, 31, 70, 256 })
            {
                var expected = IndexTestData.Search(simdBrute, query, radius);
                Assert.Equal(expected, IndexTestData.Search(scalarBrute, query, radius));
                Assert.Equal(expected, IndexTestData.Search(scalarMulti, query, radius));
            }
        }
    }
}
