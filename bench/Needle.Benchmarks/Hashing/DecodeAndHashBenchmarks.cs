using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Hashing.Pdq;
using SkiaSharp;

namespace Needle.Benchmarks.Hashing;

/// <summary>
/// Bytes in memory to PDQ hash, per format: the per-file cost of <c>needle hash</c> without the disk. The same photo
/// (Meta's bridge, 1600x1004) is re-encoded by Skia into each format at two sizes; PNG at the typical 512 px web size
/// is the baseline.
/// </summary>
[MemoryDiagnoser]
public class DecodeAndHashBenchmarks
{
    private readonly ImageDecoder _decoder = new(DecodeOptions.Default);
    private readonly PdqHasher _hasher = new();
    private readonly Dictionary<string, byte[]> _files = [];

    [Params("png-512", "jpeg-512", "webp-512", "jpeg-1600", "png-1600", "gif-512", "bmp-512")]
    public string Input { get; set; } = "png-512";

    [GlobalSetup]
    public void Setup()
    {
        var source = Path.Combine(FindRepositoryRoot(), "testdata", "pdq", "bridge", "dih", "bridge-1-original.jpg");
        using var original = SKBitmap.Decode(source);
        using var small = original.Resize(new SKImageInfo(512, 321), new SKSamplingOptions(SKFilterMode.Linear));
        _files["png-512"] = Encode(small, SKEncodedImageFormat.Png);
        _files["jpeg-512"] = Encode(small, SKEncodedImageFormat.Jpeg);
        _files["webp-512"] = Encode(small, SKEncodedImageFormat.Webp);
        _files["jpeg-1600"] = File.ReadAllBytes(source);
        _files["png-1600"] = Encode(original, SKEncodedImageFormat.Png);
        _files["gif-512"] = Gif(small);
        _files["bmp-512"] = Bmp(small);
    }

    [Benchmark]
    public PdqResult DecodeAndHash()
    {
        using var image = _decoder.Decode(_files[Input], Input);
        return _hasher.Hash(image);
    }

    internal static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format)
    {
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>Uncompressed 24-bit BMP (Skia does not encode BMP).</summary>
    private static byte[] Bmp(SKBitmap bitmap)
    {
        var rowBytes = ((bitmap.Width * 3) + 3) & ~3;
        var size = 54 + (rowBytes * bitmap.Height);
        var bytes = new byte[size];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BitConverter.TryWriteBytes(bytes.AsSpan(2), size);
        BitConverter.TryWriteBytes(bytes.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bytes.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bytes.AsSpan(18), bitmap.Width);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), bitmap.Height);
        BitConverter.TryWriteBytes(bytes.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bytes.AsSpan(28), (short)24);
        for (var y = 0; y < bitmap.Height; y++)
        {
            var row = 54 + ((bitmap.Height - 1 - y) * rowBytes);
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                bytes[row + (x * 3)] = c.Blue;
                bytes[row + (x * 3) + 1] = c.Green;
                bytes[row + (x * 3) + 2] = c.Red;
            }
        }

        return bytes;
    }

    /// <summary>A GIF is not encodable by Skia; a grey 8-bit palette GIF written by hand keeps the benchmark self-contained.</summary>
    private static byte[] Gif(SKBitmap bitmap)
    {
        using var stream = new MemoryStream();
        var w = (ushort)bitmap.Width;
        var h = (ushort)bitmap.Height;
        stream.Write("GIF89a"u8);
        stream.Write(BitConverter.GetBytes(w));
        stream.Write(BitConverter.GetBytes(h));
        stream.Write([0xF7, 0, 0]); // global colour table, 256 entries
        for (var i = 0; i < 256; i++)
        {
            stream.Write([(byte)i, (byte)i, (byte)i]);
        }

        stream.WriteByte(0x2C);
        stream.Write([0, 0, 0, 0]);
        stream.Write(BitConverter.GetBytes(w));
        stream.Write(BitConverter.GetBytes(h));
        stream.WriteByte(0);
        stream.WriteByte(8); // LZW minimum code size

        // Uncompressed LZW: emit a clear code every 254 literals so the code size stays 9 bits.
        var bits = new List<byte>();
        int buffer = 0, count = 0;
        void Emit(int code)
        {
            buffer |= code << count;
            count += 9;
            while (count >= 8)
            {
                bits.Add((byte)(buffer & 0xFF));
                buffer >>= 8;
                count -= 8;
            }
        }

        var sinceClear = 0;
        Emit(256);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                Emit(((c.Red * 77) + (c.Green * 150) + (c.Blue * 29)) >> 8);
                if (++sinceClear == 254)
                {
                    Emit(256);
                    sinceClear = 0;
                }
            }
        }

        Emit(257);
        if (count > 0)
        {
            bits.Add((byte)(buffer & 0xFF));
        }

        for (var i = 0; i < bits.Count; i += 255)
        {
            var n = Math.Min(255, bits.Count - i);
            stream.WriteByte((byte)n);
            stream.Write(bits.GetRange(i, n).ToArray());
        }

        stream.WriteByte(0);
        stream.WriteByte(0x3B);
        return stream.ToArray();
    }

    /// <summary>The repository's root (the folder with Needle.slnx and <c>testdata/pdq</c>).</summary>
    internal static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Needle.slnx")) && Directory.Exists(Path.Combine(dir.FullName, "testdata", "pdq")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("testdata/pdq not found in a repository above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// Large JPEGs to PDQ hash, full decode (the default, bit-identical to the reference) against
/// <see cref="DecodeOptions.FastJpegScaling"/> (<c>--fast-jpeg</c>, decoded at a reduced DCT scale). The bridge photo
/// as stored (1600x1004) and resized to 4000x3000 (JPEG q90).
/// </summary>
[MemoryDiagnoser]
public class FastJpegBenchmarks
{
    private readonly PdqHasher _hasher = new();
    private readonly Dictionary<string, byte[]> _files = [];
    private ImageDecoder _decoder = new(DecodeOptions.Default);

    [Params("jpeg-1600x1004", "jpeg-4000x3000")]
    public string Input { get; set; } = "jpeg-1600x1004";

    [Params(false, true)]
    public bool FastJpeg { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var source = Path.Combine(DecodeAndHashBenchmarks.FindRepositoryRoot(), "testdata", "pdq", "bridge", "dih", "bridge-1-original.jpg");
        using var original = SKBitmap.Decode(source);
        using var large = original.Resize(new SKImageInfo(4000, 3000), new SKSamplingOptions(SKFilterMode.Linear));
        _files["jpeg-1600x1004"] = File.ReadAllBytes(source);
        _files["jpeg-4000x3000"] = DecodeAndHashBenchmarks.Encode(large, SKEncodedImageFormat.Jpeg);
        _decoder = new ImageDecoder(DecodeOptions.Default with { FastJpegScaling = FastJpeg });
    }

    [Benchmark]
    public PdqResult DecodeAndHash()
    {
        using var image = _decoder.Decode(_files[Input], Input);
        return _hasher.Hash(image);
    }
}
