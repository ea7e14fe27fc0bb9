#:project ../src/Needle.Hashing/Needle.Hashing.csproj
#:package System.IO.Hashing
#:property TreatWarningsAsErrors=false
#:property GenerateDocumentationFile=false
#:property AnalysisMode=Default

// Measures the guarded decoder on hostile inputs, with no test framework:
//   dotnet run scripts/decode-memory.cs
// 1. RSS before, at the peak of, and after a burst of 32 decodes of a 100-megapixel image, 8 at a time (issue 14,
//    finding 7: the server went from 2.8 GB to 6.3 GB and stayed there);
// 2. how long the refusals take: a 20000x20000 PNG and a PNG header claiming 65000x65000 (thumbnail decode), a JPEG
//    claiming 10000x9999 with a cut scan;
// 3. the cost of the truncation checks on an intact 4000x3000 JPEG (guarded decode vs a bare SkiaSharp decode).
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Needle.Hashing;
using SkiaSharp;

static long RssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        }
    }

    return -1;
}

static byte[] GreyPng(int width, int height, byte value)
{
    using var idat = new MemoryStream();
    using (var zlib = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
    {
        var row = new byte[width + 1];
        Array.Fill(row, value, 1, width);
        for (var y = 0; y < height; y++)
        {
            zlib.Write(row);
        }
    }

    using var png = new MemoryStream();
    png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    var ihdr = new byte[13];
    BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
    BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
    ihdr[8] = 8;
    Chunk(png, "IHDR"u8, ihdr);
    Chunk(png, "IDAT"u8, idat.ToArray());
    Chunk(png, "IEND"u8, []);
    return png.ToArray();
}

static void Chunk(Stream png, ReadOnlySpan<byte> type, byte[] data)
{
    Span<byte> word = stackalloc byte[4];
    BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
    png.Write(word);
    byte[] typeAndData = [.. type, .. data];
    png.Write(typeAndData);
    BinaryPrimitives.WriteUInt32BigEndian(word, System.IO.Hashing.Crc32.HashToUInt32(typeAndData));
    png.Write(word);
}

static double Ms(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalMilliseconds;
}

var decoder = new ImageDecoder();
var budget = DecodeMemoryBudget.Shared;
Console.WriteLine($"budget: {budget.CapacityBytes / 1024 / 1024} MiB, trim after spikes over {budget.TrimAboveBytes / 1024 / 1024} MiB");

// 1. A burst of 100 MP decodes.
var big = GreyPng(10000, 10000, 90);
GC.Collect();
Console.WriteLine($"RSS before: {RssMb()} MB ({big.Length / 1024} KB PNG, 10000x10000)");
long peak = 0;
using var sampler = new Timer(_ => peak = Math.Max(peak, RssMb()), null, 0, 20);
var burst = Stopwatch.StartNew();
Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
{
    using var image = decoder.Decode(big, $"big{i}.png");
});
Console.WriteLine($"32 decodes, 8 at a time: {burst.Elapsed.TotalSeconds:0.0} s; RSS peak {Math.Max(peak, RssMb())} MB");
for (var waited = 0; waited < 50 && budget.Trims == 0; waited++)
{
    Thread.Sleep(100);
}

Thread.Sleep(500);
Console.WriteLine($"RSS after, idle: {RssMb()} MB (trims: {budget.Trims})");

// 2. Refusals.
var huge = GreyPng(20000, 20000, 0);
var claims = new byte[45];
GreyPngHeader(claims, 65000, 65000);
Report("20000x20000 PNG, display decode", () => decoder.DecodeForDisplay(huge, 144));
Report("PNG header claiming 65000x65000, display decode", () => decoder.DecodeForDisplay(claims, 144));
using (var small = new SKBitmap(200, 150))
{
    small.Erase(SKColors.SteelBlue);
    var jpeg = small.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
    var sof = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xC0]);
    BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 9999);
    BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 10000);
    Report("JPEG claiming 10000x9999, hash decode", () => decoder.Decode(jpeg, "claims.jpg"));
    BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65000);
    BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65000);
    Report("JPEG claiming 65000x65000, display decode", () => decoder.DecodeForDisplay(jpeg, 144));
}

// 3. The cost of the checks on an intact large JPEG.
using (var photo = new SKBitmap(4000, 3000))
{
    using (var canvas = new SKCanvas(photo))
    using (var paint = new SKPaint { Shader = SKShader.CreatePerlinNoiseFractalNoise(0.01f, 0.02f, 4, 7) })
    {
        canvas.DrawRect(0, 0, 4000, 3000, paint);
    }

    var jpeg = photo.Encode(SKEncodedImageFormat.Jpeg, 90).ToArray();
    for (var round = 0; round < 2; round++)
    {
        var guarded = Ms(() => decoder.Decode(jpeg, "photo.jpg").Dispose());
        var display = Ms(() => decoder.DecodeForDisplay(jpeg, 720).Dispose());
        var bare = Ms(() =>
        {
            using var codec = SKCodec.Create(new SKMemoryStream(jpeg));
            using var bitmap = new SKBitmap(codec.Info.Width, codec.Info.Height);
            codec.GetPixels(bitmap.Info, bitmap.GetPixels());
        });
        Console.WriteLine($"4000x3000 JPEG ({jpeg.Length / 1024} KB), round {round + 1}: guarded hash decode {guarded:0} ms, display decode (720) {display:0} ms, bare SkiaSharp full decode {bare:0} ms");
    }
}

void Report(string what, Func<IDisposable> decode)
{
    var watch = Stopwatch.StartNew();
    try
    {
        decode().Dispose();
        Console.WriteLine($"{what}: decoded in {watch.Elapsed.TotalMilliseconds:0.0} ms (!)");
    }
    catch (ImageDecodeException e)
    {
        Console.WriteLine($"{what}: refused in {watch.Elapsed.TotalMilliseconds:0.0} ms, {e.Failure}: {e.Reason}");
    }
}

static void GreyPngHeader(byte[] into, int width, int height)
{
    using var png = new MemoryStream();
    png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
    var ihdr = new byte[13];
    BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
    BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
    ihdr[8] = 8;
    ihdr[9] = 2;
    Chunk(png, "IHDR"u8, ihdr);
    Chunk(png, "IEND"u8, []);
    png.ToArray().CopyTo(into, 0);
}
