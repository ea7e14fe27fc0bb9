using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Hashing.Pdq;

namespace Needle.Benchmarks.Hashing;

/// <summary>
/// Pixels to hash, 512x512 (the size the reference stretches every large image to). The scalar hasher is the
/// baseline: it runs the reference's loops one value at a time, as the C++ reference does.
/// </summary>
[MemoryDiagnoser]
public class PdqHasherBenchmarks
{
    private readonly PdqHasher _scalar = new(useVectors: false);
    private readonly PdqHasher _vector = new(useVectors: true);
    private byte[] _rgb = [];
    private byte[] _grey = [];

    [GlobalSetup]
    public void Setup()
    {
        // A smooth gradient with texture: realistic enough for the blur, identical on every run.
        var random = new Random(42);
        _rgb = new byte[512 * 512 * 3];
        _grey = new byte[512 * 512];
        for (var y = 0; y < 512; y++)
        {
            for (var x = 0; x < 512; x++)
            {
                var i = (y * 512) + x;
                _rgb[i * 3] = (byte)((x + random.Next(16)) & 255);
                _rgb[(i * 3) + 1] = (byte)((y + random.Next(16)) & 255);
                _rgb[(i * 3) + 2] = (byte)((x ^ y) & 255);
                _grey[i] = _rgb[i * 3];
            }
        }
    }

    [Benchmark(Baseline = true)]
    public PdqResult Rgb_scalar() => _scalar.Hash(_rgb, 512, 512, PixelLayout.Rgb24);

    [Benchmark]
    public PdqResult Rgb_vector() => _vector.Hash(_rgb, 512, 512, PixelLayout.Rgb24);

    [Benchmark]
    public PdqResult Grey_vector() => _vector.Hash(_grey, 512, 512, PixelLayout.Gray8);

    [Benchmark]
    public PdqDihedralResult Rgb_dihedral_vector() => _vector.HashDihedral(_rgb, 512, 512, PixelLayout.Rgb24);
}
