#if NEEDLE_MAGICK
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using ImageMagick;
using Needle.Hashing;
using Needle.Hashing.Pdq;
using SkiaSharp;

namespace Needle.Benchmarks.Hashing;

/// <summary>
/// Bytes in memory to PDQ hash for a 12-megapixel (4000x3000) phone-sized photo, per format: JPEG through Skia (the
/// baseline), HEIC, AVIF, TIFF and JPEG XL through the second decoder (Magick.NET). The picture is Meta's bridge
/// stretched to 4000x3000; JPEG, AVIF and JPEG XL at quality 90, TIFF LZW-compressed 8-bit RGB, HEIC made with
/// Debian's <c>heif-enc -q 90</c> (package libheif-examples; Magick.NET has no HEVC encoder). The encoded inputs are
/// kept in the temporary folder (needle-bench-12mp) between runs.
/// </summary>
[MemoryDiagnoser]
public class PhoneFormatBenchmarks
{
    private readonly ImageDecoder _decoder = new(DecodeOptions.Default);
    private readonly PdqHasher _hasher = new();
    private byte[] _jpeg = [];
    private byte[] _heic = [];
    private byte[] _avif = [];
    private byte[] _tiff = [];
    private byte[] _jxl = [];

    [GlobalSetup]
    public void Setup()
    {
        if (!ImageDecoder.SecondDecoderAvailable)
        {
            throw new InvalidOperationException("The second decoder is not available.");
        }

        // Encoding 12 MP to AVIF and JPEG XL takes minutes on a small machine: the inputs are made once and kept.
        var cache = Path.Combine(Path.GetTempPath(), "needle-bench-12mp");
        Directory.CreateDirectory(cache);
        var source = Path.Combine(DecodeAndHashBenchmarks.FindRepositoryRoot(), "testdata", "pdq", "bridge", "dih", "bridge-1-original.jpg");
        using var original = SKBitmap.Decode(source);
        using var large = original.Resize(new SKImageInfo(4000, 3000, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear));
        _jpeg = DecodeAndHashBenchmarks.Encode(large, SKEncodedImageFormat.Jpeg);
        var png = DecodeAndHashBenchmarks.Encode(large, SKEncodedImageFormat.Png);
        using var image = new MagickImage();
        image.ReadPixels(large.Bytes, new PixelReadSettings(4000, 3000, StorageType.Char, PixelMapping.RGBA));
        image.Alpha(AlphaAction.Off);
        image.Quality = 90;
        _avif = Cached(cache, "bridge.avif", () =>
        {
            image.Settings.SetDefine(MagickFormat.Heic, "speed", "8");
            return image.ToByteArray(MagickFormat.Avif);
        });
        _jxl = Cached(cache, "bridge.jxl", () => image.ToByteArray(MagickFormat.Jxl));
        _tiff = Cached(cache, "bridge.tif", () =>
        {
            image.Settings.Compression = CompressionMethod.LZW;
            return image.ToByteArray(MagickFormat.Tiff);
        });
        _heic = Cached(cache, "bridge.heic", () => HeifEnc(png));
        Console.WriteLine($"// 12 MP inputs: jpeg {_jpeg.Length:N0} B, heic {_heic.Length:N0} B, avif {_avif.Length:N0} B, tiff {_tiff.Length:N0} B, jxl {_jxl.Length:N0} B");
    }

    [Benchmark(Baseline = true)]
    public PdqResult Jpeg() => Hash(_jpeg);

    [Benchmark]
    public PdqResult Heic() => Hash(_heic);

    [Benchmark]
    public PdqResult Avif() => Hash(_avif);

    [Benchmark]
    public PdqResult Tiff() => Hash(_tiff);

    [Benchmark]
    public PdqResult JpegXl() => Hash(_jxl);

    private PdqResult Hash(byte[] file)
    {
        using var image = _decoder.Decode(file, "bench");
        return _hasher.Hash(image);
    }

    private static byte[] Cached(string folder, string name, Func<byte[]> make)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, make());
        }

        return File.ReadAllBytes(path);
    }

    private static byte[] HeifEnc(byte[] png)
    {
        var folder = Directory.CreateTempSubdirectory("needle-bench-");
        try
        {
            var input = Path.Combine(folder.FullName, "in.png");
            var output = Path.Combine(folder.FullName, "out.heic");
            File.WriteAllBytes(input, png);
            using var process = Process.Start(new ProcessStartInfo("heif-enc", ["-q", "90", input, "-o", output]) { RedirectStandardOutput = true })
                ?? throw new InvalidOperationException("heif-enc could not be started");
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? File.ReadAllBytes(output) : throw new InvalidOperationException("heif-enc failed (apt-get install libheif-examples)");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
#endif
