using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Server.Web;
using SkiaSharp;

namespace Needle.Benchmarks.Web;

/// <summary>
/// What a review page costs the server per picture: the blurred greyscale thumbnail (decode, downscale, greyscale,
/// blur, PNG) and the revealed copy (decode, downscale to 720 px, JPEG), both through the guarded
/// <see cref="ImageDecoder.DecodeForDisplay"/>, against decoding alone, for a phone-sized
/// photo and a 1080p one (generated gradients with noise, encoded as JPEG once in setup).
/// </summary>
[MemoryDiagnoser]
public class ProtectedImageBenchmarks
{
    /// <summary>The guarded decoder the server uses (limits, truncation check, memory budget).</summary>
    private static readonly ImageDecoder Decoder = new();

    private byte[] _jpeg = [];

    [Params(640, 1920)]
    public int Width { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var height = Width * 9 / 16;
        using var bitmap = new SKBitmap(Width, height);
        var random = new Random(7);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var noise = random.Next(32);
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 200 / Width + noise), (byte)(y * 200 / height + noise), (byte)(128 + noise)));
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        _jpeg = data.ToArray();
    }

    [Benchmark(Baseline = true)]
    public int DecodeOnly()
    {
        using var decoded = SKBitmap.Decode(_jpeg);
        return decoded.Width;
    }

    [Benchmark]
    public int Thumbnail() => ProtectedImages.Thumbnail(Decoder, _jpeg, 96, 14, greyscale: true, default).Image!.Length;

    [Benchmark]
    public int Reveal() => ProtectedImages.Reveal(Decoder, _jpeg, greyscale: true, default).Image!.Length;
}
