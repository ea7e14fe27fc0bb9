using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.LoadTest.Match;
using Needle.Matching.Index;

namespace Needle.Benchmarks.Matching;

/// <summary>Range search at radius 31 over 1M synthetic entries: multi-index hashing against SIMD brute force.</summary>
[MemoryDiagnoser]
public class RangeSearchBenchmarks
{
    private readonly List<HammingHit> _hits = [];
    private BruteForcePdqIndex _bruteForce = null!;
    private MultiIndexHammingIndex _multiIndex = null!;
    private PdqHash[] _queries = [];
    private int _next;

    [Params(1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // The data of the match load harness with its defaults (seed 1, 30 % in clusters of 20 up to 12 bits apart).
        var random = new Random(1);
        var words = SyntheticPdqData.GenerateEntries(random, Entries, clusteredFraction: 0.3, clusterSize: 20, clusterMaxFlips: 12);
        _queries = SyntheticPdqData.GenerateQueries(random, words, 1024, radius: 31);
        var ids = Enumerable.Range(0, Entries).ToArray();
        var bits = new ulong[(Entries + 63) / 64];
        bits.AsSpan().Fill(ulong.MaxValue);
        _bruteForce = BruteForcePdqIndex.BuildFrom(new PdqIndexData(ids, words, (ulong[])bits.Clone()));
        _multiIndex = MultiIndexHammingIndex.BuildFrom(new PdqIndexData(ids, words, bits));
    }

    [Benchmark(Baseline = true)]
    public int BruteForce() => Search(_bruteForce);

    [Benchmark]
    public int MultiIndex() => Search(_multiIndex);

    private int Search(IPdqIndex index)
    {
        _hits.Clear();
        index.RangeSearch(_queries[_next++ & 1023], 31, _hits);
        return _hits.Count;
    }
}
