#if NEEDLE_MAGICK
using ImageMagick;
using Needle.Hashing;
using Needle.Testing;

namespace Needle.Cli.Tests;

/// <summary>`needle hash` over a folder holding one file of each format made from one shared photo.</summary>
public sealed class PhoneFormatHashTests
{
    /// <summary>Lossy re-encodings at quality 90 (as in the hashing tests).</summary>
    private const int LossyTolerance = 16;

    [Fact]
    public async Task A_folder_of_every_format_hashes_like_the_png_twin()
    {
        using var folder = new TempFolder();
        var png = TestPaths.PdqFile("photos/p04_flowers.png");
        folder.CopyIn(png, "in/a_twin.png");
        folder.CopyIn(Path.Combine(TestPaths.RepositoryRoot, "testdata", "formats", "p04_flowers_lossless.heic"), "in/b_lossless.heic");
        folder.CopyIn(Path.Combine(TestPaths.RepositoryRoot, "testdata", "formats", "p04_flowers_q90.heic"), "in/c_lossy.heic");
        folder.Write("in/d_lossless.tif", Encode(png, MagickFormat.Tiff, 100));
        folder.Write("in/e_lossless.jxl", Encode(png, MagickFormat.Jxl, 100));
        folder.Write("in/f_lossy.jxl", Encode(png, MagickFormat.Jxl, 90));
        folder.Write("in/g_lossy.avif", Encode(png, MagickFormat.Avif, 90));

        var result = await CliRunner.RunAsync(folder.Path, "hash", "in");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        var lines = result.OutLines.Select(l => l.Split(',')).ToDictionary(c => c[2], c => PdqHash.Parse(c[0]));
        Assert.Equal(7, lines.Count);
        var twin = lines["a_twin.png"];
        Assert.Equal(twin, lines["b_lossless.heic"]);
        Assert.Equal(twin, lines["d_lossless.tif"]);
        Assert.Equal(twin, lines["e_lossless.jxl"]);
        Assert.InRange(lines["c_lossy.heic"].HammingDistance(twin), 0, LossyTolerance);
        Assert.InRange(lines["f_lossy.jxl"].HammingDistance(twin), 0, LossyTolerance);
        Assert.InRange(lines["g_lossy.avif"].HammingDistance(twin), 0, LossyTolerance);
    }

    private static byte[] Encode(string png, MagickFormat format, int quality)
    {
        Assert.True(ImageDecoder.SecondDecoderAvailable);
        using var image = new MagickImage(File.ReadAllBytes(png), new MagickReadSettings { Format = MagickFormat.Png });
        image.Quality = (uint)quality;
        return image.ToByteArray(format);
    }
}
#endif
