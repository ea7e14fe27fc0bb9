using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Benchmarks.Matching;

/// <summary>Distance kernel over a cache-resident block of entries: SIMD against scalar.</summary>
[MemoryDiagnoser]
public class HammingKernelBenchmarks
{
    private const int Entries = 16_384; // 512 KiB: fits L2, so the kernel, not DRAM, is measured.
    private ulong[] _words = [];
    private PdqHash _query;
    private int[] _hitIndexes = [];
    private int[] _hitDistances = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _words = new ulong[Entries * PdqHash.WordCount];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_words.AsSpan()));
        _query = new PdqHash(1, 2, 3, 4);
        _hitIndexes = new int[HammingKernel.BlockEntries];
        _hitDistances = new int[HammingKernel.BlockEntries];
    }

    [Benchmark(Baseline = true)]
    public int Scalar() => Scan(KernelPath.Scalar);

    [Benchmark]
    public int Simd() => Scan(HammingKernel.BestPath);

    private int Scan(KernelPath path)
    {
        int hits = 0;
        for (int block = 0; block < Entries; block += HammingKernel.BlockEntries)
        {
            hits += HammingKernel.ScanBlock(
                path, _words.AsSpan(block * PdqHash.WordCount, HammingKernel.BlockEntries * PdqHash.WordCount), _query, 31, _hitIndexes, _hitDistances);
        }

        return hits;
    }
}
