using BenchmarkDotNet.Attributes;
using Needle.Robust;

namespace Needle.Benchmarks.Robust;

/// <summary>
/// The descriptor shortlist (10 best of N held 512-value descriptors): the float scan (SIMD, the baseline; and scalar)
/// against the int8 scan with exact re-ranking (AVX2; and scalar). Rows are random unit vectors with non-negative
/// values, as ResNet's pooled features are; the query is a noisy copy of one row.
/// Run: dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*.Robust*Benchmarks.*' --job short --inProcess
/// </summary>
[MemoryDiagnoser]
public class RobustShortlistBenchmarks
{
    private const int Dimension = 512;
    private readonly int[] _rows = new int[10];
    private readonly float[] _scores = new float[10];
    private DescriptorIndex _floats = null!;
    private QuantizedDescriptorIndex _quantised = null!;
    private float[] _query = null!;

    [Params(10_000, 100_000, 1_000_000)]
    public int Held { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _floats = new DescriptorIndex(Dimension);
        _quantised = new QuantizedDescriptorIndex(Dimension);
        var row = new float[Dimension];
        for (var i = 0; i < Held; i++)
        {
            for (var j = 0; j < row.Length; j++)
            {
                row[j] = (float)random.NextDouble();
            }

            DescriptorKernel.Normalize(row);
            _floats.Add(row);
            _quantised.Add(row);
            if (i == Held / 2)
            {
                _query = [.. row.Select(v => v + (0.05f * (float)random.NextDouble()))];
                DescriptorKernel.Normalize(_query);
            }
        }
    }

    [Benchmark(Baseline = true, Description = "float scan, SIMD")]
    public int FloatSimd() => _floats.Search(_query, 10, _rows, _scores, useVectors: true);

    [Benchmark(Description = "float scan, scalar")]
    public int FloatScalar() => _floats.Search(_query, 10, _rows, _scores, useVectors: false);

    [Benchmark(Description = "int8 scan (AVX2) + exact re-rank")]
    public int Int8Avx2() => _quantised.Search(_query, 10, _rows, _scores, useVectors: true);

    [Benchmark(Description = "int8 scan (scalar) + exact re-rank")]
    public int Int8Scalar() => _quantised.Search(_query, 10, _rows, _scores, useVectors: false);
}
