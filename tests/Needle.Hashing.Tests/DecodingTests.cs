using SkiaSharp;
using static Needle.Hashing.Tests.TestImages;

namespace Needle.Hashing.Tests;

/// <summary>Real test-vector files decoded by the real decoder, checked against an independent PNG reader.</summary>
public sealed class DecodingTests
{
    private static readonly ImageDecoder DefaultDecoder = new();
    private static readonly ImageDecoder FullResolution = new(new DecodeOptions { ResampleSize = null });

    public static TheoryData<string> AllTestVectorImages() => new(TestVectorFiles());

    public static TheoryData<string> AllTestVectorPngs() =>
        new(TestVectorFiles().Where(f => f.EndsWith(".png", StringComparison.Ordinal)));

    /// <summary>Every PNG and JPEG under testdata/pdq, relative to it.</summary>
    private static IEnumerable<string> TestVectorFiles() =>
        Directory.EnumerateFiles(TestData.PdqDirectory, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(TestData.PdqDirectory, f))
            .Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(AllTestVectorImages))]
    public void Every_test_vector_decodes_with_the_reference_size_rule(string relativePath)
    {
        using var image = DefaultDecoder.Decode(TestData.Pdq(relativePath));

        Assert.True(image.SourceWidth > 0 && image.SourceHeight > 0);
        if (image.SourceWidth > 512 || image.SourceHeight > 512)
        {
            Assert.Equal((512, 512), (image.Width, image.Height));
        }
        else
        {
            Assert.Equal((image.SourceWidth, image.SourceHeight), (image.Width, image.Height));
        }

        Assert.Equal(image.Width * image.Height * (int)image.Layout, image.Pixels.Length);
        Assert.Equal(relativePath.EndsWith(".png", StringComparison.Ordinal) ? ImageFormat.Png : ImageFormat.Jpeg, image.Format);
    }

    [Theory]
    [MemberData(nameof(AllTestVectorPngs))]
    public void Png_pixels_equal_the_independent_reader_with_alpha_dropped_and_16_bit_reduced_to_the_high_byte(string relativePath)
    {
        var reference = ReferencePng.Read(TestData.Pdq(relativePath));
        using var image = FullResolution.Decode(TestData.Pdq(relativePath));

        Assert.Equal((reference.Width, reference.Height), (image.Width, image.Height));
        var allGrey = true;
        for (var y = 0; y < reference.Height; y++)
        {
            for (var x = 0; x < reference.Width; x++)
            {
                var (r, g, b) = reference.Rgb(x, y);
                if (reference.BitDepth == 16)
                {
                    (r, g, b) = (Reduce16(r), Reduce16(g), Reduce16(b));
                }

                allGrey &= r == g && g == b;
                var actual = Pixel(image, x, y);
                if (actual != (r, g, b))
                {
                    Assert.Fail($"{relativePath} pixel ({x}, {y}) is {actual}, expected {(r, g, b)}");
                }
            }
        }

        Assert.Equal(allGrey ? PixelLayout.Gray8 : PixelLayout.Rgb24, image.Layout);
        Assert.Equal(reference.BitDepth, image.BitsPerSample);
    }

    [Theory]
    [InlineData("p01_keong_macan.png", 256, 256)]
    [InlineData("p04_flowers.png", 300, 200)]
    [InlineData("p10_rose_tiny.png", 48, 32)]
    [InlineData("p19_sunrise_pano.png", 512, 256)]
    [InlineData("p24_stone_text_grey.png", 448, 172)]
    [InlineData("e2_16bit_rgb.png", 160, 106)]
    [InlineData("e4_cmyk.jpg", 256, 192)]
    [InlineData("e5_1x1.png", 1, 1)]
    [InlineData("e6_4x4.png", 4, 4)]
    [InlineData("e7_5x5.png", 5, 5)]
    public void Images_of_512_pixels_or_less_keep_their_size(string file, int width, int height)
    {
        using var image = DefaultDecoder.Decode(TestData.Photo(file));

        Assert.Equal((width, height), (image.Width, image.Height));
        Assert.Equal((width, height), (image.SourceWidth, image.SourceHeight));
    }

    [Theory]
    [InlineData("p23_cell_grey.png")]
    [InlineData("p24_stone_text_grey.png")]
    [InlineData("p25_retina_crop_grey.png")]
    [InlineData("p26_clock_rgbgrey.png")]
    [InlineData("p27_ascent_rgbgrey.png")]
    public void Grey_pngs_and_rgb_pngs_with_equal_channels_give_Gray8(string file)
    {
        using var image = DefaultDecoder.Decode(TestData.Photo(file));

        Assert.Equal(PixelLayout.Gray8, image.Layout);
        Assert.Equal(image.Width * image.Height, image.Pixels.Length);
    }

    [Theory]
    [InlineData("p01_keong_macan.png")]
    [InlineData("p35_sombrero_galaxy.png")]
    [InlineData("e1_alpha_rgba.png")]
    [InlineData("e4_cmyk.jpg")]
    public void Colour_images_give_Rgb24(string file)
    {
        using var image = DefaultDecoder.Decode(TestData.Photo(file));

        Assert.Equal(PixelLayout.Rgb24, image.Layout);
    }

    [Fact]
    public void Rgba_png_gives_the_stored_rgb_not_composited_or_premultiplied()
    {
        var path = TestData.Photo("e1_alpha_rgba.png");
        using var skia = SKBitmap.Decode(SKCodec.Create(path), new SKImageInfo(250, 250, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using var image = DefaultDecoder.Decode(path);

        Assert.Equal((250, 250), (image.Width, image.Height));

        // The corners are nearly transparent (alpha down to 2): premultiplied or composited colour would differ there.
        (int X, int Y)[] probes = [(0, 0), (249, 0), (0, 249), (249, 249), (125, 125), (3, 200), (60, 7)];
        var cornerAlpha = skia.GetPixel(0, 0).Alpha;
        Assert.True(cornerAlpha < 16, $"expected a nearly transparent corner, alpha {cornerAlpha}");
        foreach (var (x, y) in probes)
        {
            var c = skia.GetPixel(x, y);
            Assert.Equal((c.Red, c.Green, c.Blue), ((byte)Pixel(image, x, y).R, (byte)Pixel(image, x, y).G, (byte)Pixel(image, x, y).B));
        }
    }

    [Fact]
    public void Exif_orientation_is_reported_but_ignored_by_default()
    {
        using var image = DefaultDecoder.Decode(TestData.Photo("e3_exif_orientation6.jpg"));

        Assert.Equal((300, 200), (image.Width, image.Height));
        Assert.Equal(6, image.ExifOrientation);
    }

    [Fact]
    public void Exif_orientation_6_is_applied_with_AutoOrient()
    {
        var path = TestData.Photo("e3_exif_orientation6.jpg");
        using var stored = DefaultDecoder.Decode(path);
        using var oriented = new ImageDecoder(new DecodeOptions { AutoOrient = true }).Decode(path);

        Assert.Equal((200, 300), (oriented.Width, oriented.Height));
        Assert.Equal((300, 200), (oriented.SourceWidth, oriented.SourceHeight));

        // Orientation 6 displays the image turned 90 degrees clockwise: stored row 0 becomes the right-hand column.
        for (var y = 0; y < 300; y += 7)
        {
            for (var x = 0; x < 200; x += 5)
            {
                Assert.Equal(Pixel(stored, y, 199 - x), Pixel(oriented, x, y));
            }
        }
    }

    [Fact]
    public void Exif_orientation_6_jpeg_holds_the_pixels_of_its_png_source()
    {
        using var jpeg = DefaultDecoder.Decode(TestData.Photo("e3_exif_orientation6.jpg"));
        using var png = DefaultDecoder.Decode(TestData.Photo("p04_flowers.png"));

        Assert.True(MeanAbsoluteDifference(jpeg, png) < 4, "the stored (unrotated) JPEG pixels should match p04");
    }

    [Fact]
    public void Cmyk_jpeg_decodes_to_colours_close_to_its_rgb_source()
    {
        using var cmyk = DefaultDecoder.Decode(TestData.Photo("e4_cmyk.jpg"));
        using var source = DefaultDecoder.Decode(TestData.Photo("p09_bluebells.png"));

        Assert.Equal((256, 192), (cmyk.Width, cmyk.Height));
        Assert.Equal(PixelLayout.Rgb24, cmyk.Layout);
        var difference = MeanAbsoluteDifference(cmyk, source);
        Assert.True(difference < 8, $"mean difference {difference} per sample: CMYK inverted or mis-converted?");
    }

    [Fact]
    public void Image_one_pixel_over_512_is_stretched_to_512_square_by_nearest_neighbour()
    {
        var path = TestData.Photo("p16_courtyard_pano.png");
        var reference = ReferencePng.Read(path);
        using var image = DefaultDecoder.Decode(path);

        Assert.Equal((513, 257), (image.SourceWidth, image.SourceHeight));
        Assert.Equal((512, 512), (image.Width, image.Height));
        AssertSampledFrom(reference, image);
    }

    [Theory]
    [InlineData("p22_studio_pano.png")]
    [InlineData("p23_cell_grey.png")]
    [InlineData("p11_earth.png")]
    public void Larger_pngs_are_stretched_with_floor_of_x_times_W_over_512(string file)
    {
        var path = TestData.Photo(file);
        using var image = DefaultDecoder.Decode(path);

        AssertSampledFrom(ReferencePng.Read(path), image);
    }

    [Fact]
    public void Image_exactly_512_wide_is_not_stretched()
    {
        using var image = DefaultDecoder.Decode(TestData.Photo("p19_sunrise_pano.png"));

        Assert.Equal((512, 256), (image.Width, image.Height));
    }

    [Fact]
    public void Resampling_can_be_turned_off()
    {
        using var image = FullResolution.Decode(TestData.Photo("p22_studio_pano.png"));

        Assert.Equal((1024, 512), (image.Width, image.Height));
    }

    [Theory]
    [InlineData("bridge/dih/bridge-1-original.jpg")]
    [InlineData("bridge/dih/bridge-2-rotate-90.jpg")]
    [InlineData("bridge/mods/aaa-orig.jpg")]
    public void Large_jpeg_decoded_by_scanlines_equals_the_full_decode_sampled(string relativePath)
    {
        var path = TestData.Pdq(relativePath);
        using var full = FullResolution.Decode(path);
        using var sampled = DefaultDecoder.Decode(path);

        Assert.Equal((512, 512), (sampled.Width, sampled.Height));
        Assert.Equal(full.Layout, sampled.Layout);
        for (var y = 0; y < 512; y++)
        {
            for (var x = 0; x < 512; x++)
            {
                var expected = Pixel(full, (int)((long)x * full.Width / 512), (int)((long)y * full.Height / 512));
                if (expected != Pixel(sampled, x, y))
                {
                    Assert.Fail($"pixel ({x}, {y}) is {Pixel(sampled, x, y)}, expected {expected}");
                }
            }
        }
    }

    [Fact]
    public void Grey_jpeg_larger_than_512_decoded_by_scanlines_gives_Gray8()
    {
        using var bitmap = Bitmap(900, 700, (x, y) => new SKColor((byte)(x ^ y), (byte)(x ^ y), (byte)(x ^ y)));
        var jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);

        using var image = DefaultDecoder.Decode(jpeg, "grey.jpg");

        Assert.Equal(PixelLayout.Gray8, image.Layout);
        Assert.Equal((512, 512), (image.Width, image.Height));
    }

    // Where the stored red (top-left) and lime (top-right) quadrants are displayed, for each EXIF orientation,
    // taken from the EXIF definitions of which visual side row 0 and column 0 are on.
    [Theory]
    [InlineData(1, "TL", "TR")]
    [InlineData(2, "TR", "TL")]
    [InlineData(3, "BR", "BL")]
    [InlineData(4, "BL", "BR")]
    [InlineData(5, "TL", "BL")]
    [InlineData(6, "TR", "BR")]
    [InlineData(7, "BR", "TR")]
    [InlineData(8, "BL", "TL")]
    public void AutoOrient_applies_each_of_the_eight_exif_orientations(int orientation, string redCorner, string limeCorner)
    {
        foreach (var (width, height) in new[] { (96, 48), (1200, 600) })
        {
            using var bitmap = Bitmap(width, height, (x, y) => Quadrants(x, y, width, height));
            var jpeg = WithExifOrientation(Encode(bitmap, SKEncodedImageFormat.Jpeg, 100), orientation);
            var decoder = new ImageDecoder(new DecodeOptions { AutoOrient = true });

            using var image = decoder.Decode(jpeg, "quadrants.jpg");

            Assert.Equal(orientation, image.ExifOrientation);
            var transposed = orientation >= 5;
            var (expectedWidth, expectedHeight) = width > 512
                ? (512, 512)
                : transposed ? (height, width) : (width, height);
            Assert.Equal((expectedWidth, expectedHeight), (image.Width, image.Height));
            AssertClose((255, 0, 0), QuadrantCentre(image, redCorner), $"red quadrant, orientation {orientation}, {width}x{height}");
            AssertClose((0, 255, 0), QuadrantCentre(image, limeCorner), $"lime quadrant, orientation {orientation}, {width}x{height}");
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void AutoOrient_with_scanline_sampling_equals_the_full_decode_sampled(int orientation)
    {
        using var bitmap = Bitmap(1100, 700, Pattern);
        var jpeg = WithExifOrientation(Encode(bitmap, SKEncodedImageFormat.Jpeg, 95), orientation);

        using var full = new ImageDecoder(new DecodeOptions { AutoOrient = true, ResampleSize = null }).Decode(jpeg, "pattern.jpg");
        using var sampled = new ImageDecoder(new DecodeOptions { AutoOrient = true }).Decode(jpeg, "pattern.jpg");

        Assert.Equal((700, 1100), (full.Width, full.Height));
        for (var y = 0; y < 512; y += 3)
        {
            for (var x = 0; x < 512; x += 3)
            {
                Assert.Equal(Pixel(full, x * 700 / 512, y * 1100 / 512), Pixel(sampled, x, y));
            }
        }
    }

    [Fact]
    public void Png_made_by_skia_round_trips_exactly()
    {
        using var bitmap = Bitmap(37, 23, Pattern);
        using var image = DefaultDecoder.Decode(Encode(bitmap, SKEncodedImageFormat.Png), "pattern.png");

        Assert.Equal(ImageFormat.Png, image.Format);
        AssertSamePixels(bitmap, image);
    }

    [Fact]
    public void Jpeg_made_by_skia_decodes()
    {
        using var bitmap = Bitmap(40, 30, (x, y) => Quadrants(x, y, 40, 30));
        using var image = DefaultDecoder.Decode(Encode(bitmap, SKEncodedImageFormat.Jpeg, 100), "quadrants.jpg");

        Assert.Equal((ImageFormat.Jpeg, 40, 30), (image.Format, image.Width, image.Height));
        AssertClose((0, 0, 255), Pixel(image, 5, 25), "blue quadrant");
    }

    [Fact]
    public void Lossless_webp_decodes_exactly()
    {
        using var bitmap = Bitmap(41, 17, Pattern);
        using var image = DefaultDecoder.Decode(EncodeLosslessWebp(bitmap), "pattern.webp");

        Assert.Equal(ImageFormat.Webp, image.Format);
        AssertSamePixels(bitmap, image);
    }

    [Fact]
    public void Uncompressed_bmp_decodes_exactly()
    {
        using var bitmap = Bitmap(13, 7, Pattern);
        using var image = DefaultDecoder.Decode(Bmp24(13, 7, Pattern), "pattern.bmp");

        Assert.Equal(ImageFormat.Bmp, image.Format);
        AssertSamePixels(bitmap, image);
    }

    [Fact]
    public void Gif87a_decodes_its_first_frame_with_the_palette_colours()
    {
        SKColor[] palette = [new(10, 20, 30), new(200, 100, 50), new(0, 255, 0), new(255, 255, 255)];
        static int Index(int x, int y) => (x + (2 * y)) % 4;

        using var image = DefaultDecoder.Decode(Gif87(11, 6, palette, Index), "palette.gif");

        Assert.Equal((ImageFormat.Gif, 11, 6), (image.Format, image.Width, image.Height));
        for (var y = 0; y < 6; y++)
        {
            for (var x = 0; x < 11; x++)
            {
                var c = palette[Index(x, y)];
                Assert.Equal((c.Red, c.Green, c.Blue), ((byte)Pixel(image, x, y).R, (byte)Pixel(image, x, y).G, (byte)Pixel(image, x, y).B));
            }
        }
    }

    [Fact]
    public void Gif_frame_smaller_than_its_canvas_leaves_the_rest_black_even_in_a_reused_buffer()
    {
        SKColor[] palette = [new(10, 20, 30), new(200, 100, 50), new(0, 255, 0), new(255, 255, 255)];
        var gif = Gif87(10, 8, palette, (x, y) => (x + y) % 4, canvas: (Width: 30, Height: 20, Left: 5, Top: 6));

        // Leave non-zero pixels in the pooled buffers of this size first.
        using (DefaultDecoder.Decode(Encode(Bitmap(30, 20, Pattern), SKEncodedImageFormat.Png), "noise.png"))
        {
        }

        using var image = DefaultDecoder.Decode(gif, "framed.gif");

        Assert.Equal((30, 20), (image.Width, image.Height));
        Assert.Equal((0, 0, 0), Pixel(image, 0, 0));
        Assert.Equal((0, 0, 0), Pixel(image, 29, 19));
        var c = palette[(0 + 0) % 4];
        Assert.Equal(((int)c.Red, (int)c.Green, (int)c.Blue), Pixel(image, 5, 6));
    }

    [Fact]
    public void Ico_wrapping_a_png_decodes()
    {
        using var bitmap = Bitmap(32, 32, Pattern);
        var ico = IcoWrappingPng(Encode(bitmap, SKEncodedImageFormat.Png), 32, 32);

        using var image = DefaultDecoder.Decode(ico, "icon.ico");

        Assert.Equal(ImageFormat.Ico, image.Format);
        AssertSamePixels(bitmap, image);
    }

    [Fact]
    public void Wbmp_decodes_to_black_and_white_grey()
    {
        static bool White(int x, int y) => ((x / 3) + y) % 2 == 0;

        using var image = DefaultDecoder.Decode(Wbmp(19, 9, White), "bits.wbmp");

        Assert.Equal((ImageFormat.Wbmp, PixelLayout.Gray8), (image.Format, image.Layout));
        for (var y = 0; y < 9; y++)
        {
            for (var x = 0; x < 19; x++)
            {
                Assert.Equal(White(x, y) ? 255 : 0, Pixel(image, x, y).R);
            }
        }
    }

    [Fact]
    public void Decoding_from_a_stream_and_from_memory_gives_the_same_pixels_as_from_a_path()
    {
        var path = TestData.Photo("p28_raccoon.png");
        var bytes = File.ReadAllBytes(path);
        using var fromPath = DefaultDecoder.Decode(path);
        using var fromMemory = DefaultDecoder.Decode(bytes, path);
        using var seekable = new MemoryStream(bytes);
        using var fromStream = DefaultDecoder.Decode(seekable, path);
        using var forwardOnly = new HookedStream(bytes, _ => { }, canSeek: false);
        using var fromForwardOnly = DefaultDecoder.Decode(forwardOnly, path);

        Assert.True(fromPath.Pixels.SequenceEqual(fromMemory.Pixels));
        Assert.True(fromPath.Pixels.SequenceEqual(fromStream.Pixels));
        Assert.True(fromPath.Pixels.SequenceEqual(fromForwardOnly.Pixels));
    }

    [Fact]
    public void Large_file_is_streamed_from_disk_and_decodes_like_the_in_memory_path()
    {
        // Over the 16 MB whole-file read limit, so the decoder streams from the file.
        using var bitmap = Bitmap(1500, 1000, Pattern);
        var png = Encode(bitmap, SKEncodedImageFormat.Png);
        var padded = png.Concat(new byte[17 * 1024 * 1024]).ToArray(); // trailing bytes after IEND are ignored
        var path = Path.Combine(Path.GetTempPath(), $"needle-large-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, padded);
        try
        {
            using var fromFile = DefaultDecoder.Decode(path);
            using var fromMemory = DefaultDecoder.Decode(png, "pattern.png");

            Assert.True(fromFile.Pixels.SequenceEqual(fromMemory.Pixels));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Decoder_is_safe_to_share_between_threads()
    {
        var files = new[] { "p01_keong_macan.png", "p22_studio_pano.png", "e3_exif_orientation6.jpg", "p26_clock_rgbgrey.png" }
            .Select(TestData.Photo).ToArray();
        var expected = files.Select(f =>
        {
            using var image = DefaultDecoder.Decode(f);
            return image.Pixels.ToArray();
        }).ToArray();

        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            using var image = DefaultDecoder.Decode(files[i % files.Length]);
            Assert.True(image.Pixels.SequenceEqual(expected[i % files.Length]));
        });
    }

    /// <summary>How Skia (and Pillow) reduce a 16-bit sample: its high byte. See SixteenBitTests.</summary>
    private static int Reduce16(int sample) => sample >> 8;

    private static void AssertSampledFrom(ReferencePng reference, DecodedImage image)
    {
        Assert.Equal((512, 512), (image.Width, image.Height));
        for (var y = 0; y < 512; y++)
        {
            for (var x = 0; x < 512; x++)
            {
                var expected = reference.Rgb((int)((long)x * reference.Width / 512), (int)((long)y * reference.Height / 512));
                if (expected != Pixel(image, x, y))
                {
                    Assert.Fail($"pixel ({x}, {y}) is {Pixel(image, x, y)}, expected {expected}");
                }
            }
        }
    }

    private static void AssertSamePixels(SKBitmap bitmap, DecodedImage image)
    {
        Assert.Equal((bitmap.Width, bitmap.Height), (image.Width, image.Height));
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                Assert.Equal(((int)c.Red, (int)c.Green, (int)c.Blue), Pixel(image, x, y));
            }
        }
    }

    private static (int R, int G, int B) QuadrantCentre(DecodedImage image, string corner)
    {
        var x = corner[1] == 'L' ? image.Width / 4 : image.Width * 3 / 4;
        var y = corner[0] == 'T' ? image.Height / 4 : image.Height * 3 / 4;
        return Pixel(image, x, y);
    }

    private static void AssertClose((int R, int G, int B) expected, (int R, int G, int B) actual, string what)
    {
        var close = Math.Abs(expected.R - actual.R) <= 8 && Math.Abs(expected.G - actual.G) <= 8 && Math.Abs(expected.B - actual.B) <= 8;
        Assert.True(close, $"{what}: expected about {expected}, got {actual}");
    }

    private static double MeanAbsoluteDifference(DecodedImage a, DecodedImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long total = 0;
        for (var y = 0; y < a.Height; y++)
        {
            for (var x = 0; x < a.Width; x++)
            {
                var (r1, g1, b1) = Pixel(a, x, y);
                var (r2, g2, b2) = Pixel(b, x, y);
                total += Math.Abs(r1 - r2) + Math.Abs(g1 - g2) + Math.Abs(b1 - b2);
            }
        }

        return total / (3.0 * a.Width * a.Height);
    }
}
