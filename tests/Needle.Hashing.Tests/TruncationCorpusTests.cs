using System.Buffers.Binary;
using Needle.Hashing.Pdq;
using SkiaSharp;
using static Needle.Hashing.Tests.TestImages;

namespace Needle.Hashing.Tests;

/// <summary>
/// A corpus of truncations of the repository's benign test photos (read in place from <c>testdata/pdq</c>), cut
/// at many offsets inside the image data and written to a temporary folder, with and without an appended JPEG end
/// marker (<c>FF D9</c>): every cut file is refused as <see cref="DecodeFailure.Truncated"/>, and every intact file
/// still decodes with the same hash from a path, from bytes and from a stream.
/// </summary>
public sealed class TruncationCorpusTests : IDisposable
{
    /// <summary>Cuts per file, spread evenly over its image data.</summary>
    private const int CutsPerFile = 8;

    private static readonly ImageDecoder Decoder = new();

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("needle-truncation-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Every_truncated_jpeg_is_refused_with_and_without_an_end_marker_and_every_intact_one_hashes_unchanged()
    {
        var sources = JpegSources().ToList();
        var refused = 0;
        var withEndMarker = 0;
        foreach (var (name, jpeg) in sources)
        {
            var intact = Path.Combine(_folder.FullName, name);
            File.WriteAllBytes(intact, jpeg);
            var expected = HashOf(intact);
            Assert.Equal(expected, HashOf(jpeg, name));

            var scanStart = FirstScanData(jpeg);
            var end = jpeg.Length - 2; // The EOI marker: a cut must remove image data, not just the end marker.
            foreach (var cut in Cuts(scanStart + 1, end))
            {
                foreach (var appendEnd in new[] { false, true })
                {
                    var bytes = appendEnd ? [.. jpeg.AsSpan(0, cut), 0xFF, 0xD9] : jpeg.AsSpan(0, cut).ToArray();
                    var path = Path.Combine(_folder.FullName, $"{Path.GetFileNameWithoutExtension(name)}_cut{cut}{(appendEnd ? "_eoi" : "")}.jpg");
                    File.WriteAllBytes(path, bytes);
                    AssertTruncated(path);
                    refused++;
                    withEndMarker += appendEnd ? 1 : 0;
                }
            }
        }

        Assert.True(sources.Count >= 40, $"only {sources.Count} JPEG sources");
        Assert.True(withEndMarker >= 320, $"only {withEndMarker} cuts with an end marker");
        Assert.Equal(2 * withEndMarker, refused);
    }

    [Fact]
    public void Every_truncated_png_webp_bmp_and_gif_is_refused_and_every_intact_one_decodes()
    {
        var refused = 0;
        foreach (var (name, bytes, dataStart, dataEnd) in OtherSources())
        {
            var intact = Path.Combine(_folder.FullName, name);
            File.WriteAllBytes(intact, bytes);
            Assert.Equal(HashOf(intact), HashOf(bytes, name));
            foreach (var cut in Cuts(dataStart, dataEnd))
            {
                var path = Path.Combine(_folder.FullName, $"{Path.GetFileNameWithoutExtension(name)}_cut{cut}{Path.GetExtension(name)}");
                File.WriteAllBytes(path, bytes.AsSpan(0, cut).ToArray());
                AssertTruncated(path);
                refused++;
            }
        }

        Assert.True(refused >= 100, $"only {refused} cut files");
    }

    [Fact]
    public void Jpeg_whose_header_claims_more_rows_than_its_data_holds_is_truncated()
    {
        // The finding: a JPEG claiming 10000x9999 hashed at quality 0 with no error (libjpeg filled the rest with grey).
        var error = Assert.Throws<ImageDecodeException>(() =>
            Decoder.Decode(Path.Combine(TestData.HostileDirectory, "jpeg_sof_claims_10000x9999__Truncated.jpg")));

        Assert.Equal(DecodeFailure.Truncated, error.Failure);
        Assert.Matches("^truncated: the JPEG data ends at an end marker inside the image data \\([0-9,]+ of [0-9,]+ blocks", error.Reason);
    }

    private static void AssertTruncated(string path)
    {
        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));
        Assert.True(error.Failure == DecodeFailure.Truncated, $"{Path.GetFileName(path)}: expected Truncated, got {error.Failure}: {error.Reason}");
        Assert.StartsWith("truncated: ", error.Reason, StringComparison.Ordinal);

        // The same verdict from bytes and from a seekable stream (streamed JPEGs are verified after decoding).
        var bytes = File.ReadAllBytes(path);
        var fromBytes = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(bytes, path));
        Assert.True(fromBytes.Failure == DecodeFailure.Truncated, $"from bytes: {fromBytes.Message}");
        using var stream = new MemoryStream(bytes);
        var fromStream = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(stream, path));
        Assert.True(fromStream.Failure == DecodeFailure.Truncated, $"from a stream: {fromStream.Message}");
    }

    private static IEnumerable<int> Cuts(int from, int to)
    {
        for (var i = 0; i < CutsPerFile; i++)
        {
            yield return from + (int)((long)(to - from) * i / CutsPerFile);
        }
    }

    private static string HashOf(string path)
    {
        using var image = Decoder.Decode(path);
        return new PdqHasher().Hash(image).Hash.ToString();
    }

    private static string HashOf(byte[] bytes, string name)
    {
        using var image = Decoder.Decode(bytes, name);
        return new PdqHasher().Hash(image).Hash.ToString();
    }

    /// <summary>
    /// Every photo re-encoded as a baseline JPEG (4:2:0, 4:2:2 and 4:4:4 in turn, some greyscale), the two JPEGs of the
    /// photo set, and two progressive JPEGs of the bridge set, all read in place.
    /// </summary>
    private static IEnumerable<(string Name, byte[] Bytes)> JpegSources()
    {
        var photos = Path.GetDirectoryName(TestData.Photo("p01_keong_macan.png"))!;
        var subsampling = new[] { SKJpegEncoderDownsample.Downsample420, SKJpegEncoderDownsample.Downsample422, SKJpegEncoderDownsample.Downsample444 };
        var index = 0;
        foreach (var path in Directory.EnumerateFiles(photos, "*.png").Order(StringComparer.Ordinal))
        {
            using var bitmap = SKBitmap.Decode(path);
            if (bitmap is null || bitmap.Width < 16 || bitmap.Height < 16)
            {
                continue;
            }

            using var pixmap = bitmap.PeekPixels();
            var options = new SKJpegEncoderOptions(85, subsampling[index++ % 3], SKJpegEncoderAlphaOption.Ignore);
            using var data = pixmap.Encode(options);
            yield return (Path.GetFileNameWithoutExtension(path) + ".jpg", data!.ToArray());
        }

        foreach (var name in new[] { "e3_exif_orientation6.jpg", "e4_cmyk.jpg" })
        {
            yield return (name, File.ReadAllBytes(TestData.Photo(name)));
        }

        foreach (var name in new[] { "bridge-2-rotate-90.jpg", "bridge-5-flipx.jpg" })
        {
            yield return (name, File.ReadAllBytes(TestData.Pdq(Path.Combine("bridge", "dih", name))));
        }
    }

    /// <summary>PNG photos in place, and lossy and lossless WebP, BMP and GIF copies, each with the range of its image data.</summary>
    private static IEnumerable<(string Name, byte[] Bytes, int DataStart, int DataEnd)> OtherSources()
    {
        foreach (var name in new[] { "p04_flowers.png", "p07_gophers.png", "p10_rose_tiny.png", "p23_cell_grey.png", "p32_peacock.png" })
        {
            var png = File.ReadAllBytes(TestData.Photo(name));
            yield return (name, png, 33, png.Length - 12); // After IHDR, before IEND.

            using var bitmap = SKBitmap.Decode(png);
            var stem = Path.GetFileNameWithoutExtension(name);
            var lossy = Encode(bitmap, SKEncodedImageFormat.Webp, 80);
            yield return (stem + "_lossy.webp", lossy, 12, lossy.Length);
            var lossless = EncodeLosslessWebp(bitmap);
            yield return (stem + "_lossless.webp", lossless, 12, lossless.Length);
            var bmp = Bmp24(bitmap);
            yield return (stem + ".bmp", bmp, 54, bmp.Length);
        }

        SKColor[] palette = [SKColors.Black, SKColors.Red, SKColors.Lime, SKColors.White];
        var gif = Gif87(200, 120, palette, (x, y) => ((x / 7) + (y / 5) + (x * y % 3)) % 4);
        yield return ("pattern.gif", gif, 13 + 12 + 10 + 1, gif.Length - 2); // After the header, palette and descriptor; before the last sub-block end and trailer.
    }

    /// <summary>An uncompressed bottom-up 24-bit BMP.</summary>
    private static byte[] Bmp24(SKBitmap bitmap)
    {
        var stride = ((bitmap.Width * 3) + 3) / 4 * 4;
        var bytes = new byte[54 + (stride * bitmap.Height)];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), bitmap.Width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), bitmap.Height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * bitmap.Height);
        for (var y = 0; y < bitmap.Height; y++)
        {
            var row = 54 + ((bitmap.Height - 1 - y) * stride);
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

    /// <summary>The offset of the first byte after the first SOS segment.</summary>
    private static int FirstScanData(byte[] jpeg)
    {
        var i = 2;
        while (i + 4 <= jpeg.Length)
        {
            var marker = jpeg[i + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(i + 2));
            if (marker == 0xDA)
            {
                return i + 2 + length;
            }

            i += 2 + length;
        }

        throw new InvalidOperationException("no scan");
    }
}
