using Needle.Hashing.Pdq;
using SkiaSharp;

namespace Needle.Hashing.Tests;

/// <summary>
/// <see cref="DecodeOptions.FastJpegScaling"/>: large JPEGs decoded at a reduced DCT scale hash within a few bits of
/// the full decode (which matches the reference), and nothing else changes.
/// </summary>
public sealed class FastJpegScalingTests
{
    /// <summary>Largest Hamming distance allowed between the fast and the full decode's hash.</summary>
    private const int MaxDistance = 10;

    /// <summary>Largest quality difference allowed.</summary>
    private const int MaxQualityDifference = 5;

    private static readonly ImageDecoder Full = new(DecodeOptions.Default);
    private static readonly ImageDecoder Fast = new(DecodeOptions.Default with { FastJpegScaling = true });

    /// <summary>The shared bridge JPEGs with a side over 512 px (the shrunk and squared mods are smaller).</summary>
    public static TheoryData<string> LargeBridgeJpegs() => new(
        Directory.EnumerateFiles(TestData.Pdq("bridge"), "*.jpg", SearchOption.AllDirectories)
            .Where(f =>
            {
                using var codec = SKCodec.Create(f);
                return codec.Info.Width > 512 || codec.Info.Height > 512;
            })
            .Select(f => Path.GetRelativePath(TestData.PdqDirectory, f))
            .Order(StringComparer.Ordinal));

    [Fact]
    public void It_is_off_by_default()
    {
        Assert.False(DecodeOptions.Default.FastJpegScaling);
        Assert.False(new DecodeOptions().FastJpegScaling);
    }

    [Theory]
    [MemberData(nameof(LargeBridgeJpegs))]
    public void Bridge_jpegs_hash_within_a_few_bits_of_the_full_decode(string relativePath)
    {
        var bytes = File.ReadAllBytes(TestData.Pdq(relativePath));
        AssertClose(bytes, relativePath);
    }

    [Theory]
    [InlineData("p09_bluebells.png")]
    [InlineData("p11_earth.png")]
    [InlineData("p18_interior_pano.png")]
    [InlineData("p28_raccoon.png")]
    [InlineData("p32_peacock.png")]
    [InlineData("p38_wombat.png")]
    public void Large_generated_jpegs_hash_within_a_few_bits_of_the_full_decode(string photo)
    {
        var bytes = LargeJpeg(TestData.Photo(photo), longSide: 2000, quality: 90);
        AssertClose(bytes, photo);
    }

    [Theory]
    [InlineData(1600, 1004, 1000, 628)] // 5/8: 4/8 would give 502 rows
    [InlineData(1004, 1600, 628, 1000)]
    [InlineData(2000, 1000, 1250, 625)]
    [InlineData(1024, 1024, 512, 512)] // 4/8 lands exactly on 512: the stretch becomes the identity
    [InlineData(4000, 3000, 1000, 750)] // 2/8
    [InlineData(4096, 4096, 512, 512)] // 1/8
    [InlineData(2000, 400, 2000, 400)] // a side under 512 cannot shrink: full decode
    [InlineData(600, 520, 600, 520)] // no n/8 scale keeps both sides >= 512
    [InlineData(512, 512, 512, 512)] // not stretched: full decode
    public void The_smallest_scale_keeping_both_sides_at_least_512_is_chosen(int width, int height, int expectedWidth, int expectedHeight)
    {
        var bytes = SolidJpeg(width, height);
        using var codec = SKCodec.Create(new SKMemoryStream(bytes));
        var size = ImageDecoder.ChooseJpegScale(codec, width, height, 512);
        Assert.Equal((expectedWidth, expectedHeight), (size.Width, size.Height));
    }

    [Fact]
    public void The_source_size_stays_the_files_real_size_and_the_output_is_512_square()
    {
        var bytes = File.ReadAllBytes(TestData.Pdq("bridge/dih/bridge-1-original.jpg"));
        using var image = Fast.Decode(bytes, "bridge");
        Assert.Equal((1600, 1004), (image.SourceWidth, image.SourceHeight));
        Assert.Equal((512, 512), (image.Width, image.Height));
        Assert.Equal(ImageFormat.Jpeg, image.Format);
    }

    [Fact]
    public void Grey_jpegs_are_still_detected_as_grey()
    {
        using var photo = SKBitmap.Decode(TestData.Photo("p23_cell_grey.png"));
        using var grey = photo.Copy(SKColorType.Gray8);
        using var large = grey.Resize(new SKImageInfo(1600, 1600, SKColorType.Gray8), new SKSamplingOptions(SKFilterMode.Linear));
        using var data = large.Encode(SKEncodedImageFormat.Jpeg, 90);
        using var image = Fast.Decode(data.ToArray(), "grey");
        Assert.Equal(PixelLayout.Gray8, image.Layout);
        AssertClose(data.ToArray(), "grey");
    }

    [Theory]
    [InlineData("photos/p22_studio_pano.png")] // PNG over 512: untouched
    [InlineData("photos/e3_exif_orientation6.jpg")] // JPEG not stretched: untouched
    public void Other_images_decode_exactly_as_before(string relativePath)
    {
        var bytes = File.ReadAllBytes(TestData.Pdq(relativePath));
        using var full = Full.Decode(bytes, relativePath);
        using var fast = Fast.Decode(bytes, relativePath);
        Assert.Equal((full.Width, full.Height, full.Layout), (fast.Width, fast.Height, fast.Layout));
        Assert.True(full.Pixels.SequenceEqual(fast.Pixels));
    }

    [Fact]
    public void Full_resolution_ignores_it()
    {
        var bytes = File.ReadAllBytes(TestData.Pdq("bridge/dih/bridge-1-original.jpg"));
        var fullResolution = new ImageDecoder(DecodeOptions.Default with { ResampleSize = null, FastJpegScaling = true });
        using var image = fullResolution.Decode(bytes, "bridge");
        Assert.Equal((1600, 1004), (image.Width, image.Height));
    }

    [Fact]
    public void Auto_orient_samples_the_scaled_image_in_the_oriented_frame()
    {
        // The rotate-90 bridge with orientation applied differs from the original by a rotation; the fast decode of
        // each must stay close to its own full decode.
        var bytes = File.ReadAllBytes(TestData.Pdq("bridge/dih/bridge-2-rotate-90.jpg"));
        var fullOriented = new ImageDecoder(DecodeOptions.Default with { AutoOrient = true });
        var fastOriented = new ImageDecoder(DecodeOptions.Default with { AutoOrient = true, FastJpegScaling = true });
        using var a = fullOriented.Decode(bytes, "bridge-2");
        using var b = fastOriented.Decode(bytes, "bridge-2");
        var hasher = new PdqHasher();
        Assert.InRange(hasher.Hash(a).Hash.HammingDistance(hasher.Hash(b).Hash), 0, MaxDistance);
    }

    private static void AssertClose(byte[] jpeg, string name)
    {
        using var full = Full.Decode(jpeg, name);
        using var fast = Fast.Decode(jpeg, name);
        Assert.Equal((full.Width, full.Height), (fast.Width, fast.Height));
        var hasher = new PdqHasher();
        var a = hasher.Hash(full);
        var b = hasher.Hash(fast);
        var distance = a.Hash.HammingDistance(b.Hash);
        Assert.True(distance <= MaxDistance, $"{name}: fast decode is {distance} bits from the full decode");
        Assert.InRange(b.Quality, a.Quality - MaxQualityDifference, a.Quality + MaxQualityDifference);
    }

    /// <summary>A photo resized (bilinear) so its longer side is <paramref name="longSide"/>, encoded as JPEG.</summary>
    private static byte[] LargeJpeg(string path, int longSide, int quality)
    {
        using var photo = SKBitmap.Decode(path);
        var scale = (double)longSide / Math.Max(photo.Width, photo.Height);
        var info = new SKImageInfo((int)Math.Round(photo.Width * scale), (int)Math.Round(photo.Height * scale));
        using var resized = photo.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        using var data = resized.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    private static byte[] SolidJpeg(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(90, 140, 60));
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 80);
        return data.ToArray();
    }
}
