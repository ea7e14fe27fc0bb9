using SkiaSharp;
using static Needle.Hashing.Tests.TestImages;

namespace Needle.Hashing.Tests;

/// <summary>
/// Damaged, disguised and oversized files are refused with the right <see cref="DecodeFailure"/>, a message naming the
/// file, and no large allocation (the limits apply before any pixel buffer exists).
/// </summary>
public sealed class HostileFileTests
{
    /// <summary>Far below what decoding any of these claims would need; a refused file should allocate almost nothing.</summary>
    private const long AllocationBudget = 50L * 1024 * 1024;

    private static readonly ImageDecoder Decoder = new();

#if !NEEDLE_MAGICK
    private static readonly string[] MagickFormatNames = ["heic_", "avif_", "tiff_", "jxl_", "psd_"];
#endif

    public static TheoryData<string> RegressionFiles() => new(
        Directory.EnumerateFiles(TestData.HostileDirectory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(name => name.Contains("__", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal));

    [Fact]
    public void Regression_folder_holds_the_expected_files()
    {
        var files = Directory.EnumerateFiles(TestData.HostileDirectory).Select(Path.GetFileName).ToArray();

        Assert.Contains("README.md", files);
        Assert.True(files.Length >= 25, $"only {files.Length} files in {TestData.HostileDirectory}");
        Assert.All(files, name => Assert.True(
            name == "README.md" || name!.Contains("__", StringComparison.Ordinal),
            $"{name} does not say which failure it must give (NAME__Failure.ext)"));
        Assert.All(Directory.EnumerateFiles(TestData.HostileDirectory), path => Assert.True(new FileInfo(path).Length < 50 * 1024, $"{path} is over 50 KB"));
    }

    [Theory]
    [MemberData(nameof(RegressionFiles))]
    public void Every_regression_file_fails_with_the_failure_in_its_name(string fileName)
    {
        var expected = Enum.Parse<DecodeFailure>(Path.GetFileNameWithoutExtension(fileName).Split("__")[1]);
        var path = Path.Combine(TestData.HostileDirectory, fileName);
#if !NEEDLE_MAGICK
        // Built without the second decoder: its formats are refused by their signature, whatever is inside.
        if (MagickFormatNames.Any(prefix => fileName.StartsWith(prefix, StringComparison.Ordinal)))
        {
            expected = DecodeFailure.UnsupportedFormat;
        }
#endif

        AssertRefused(() => Decoder.Decode(path), expected, fileName);
        AssertRefused(() => Decoder.Decode(File.ReadAllBytes(path), fileName), expected, fileName);
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        AssertRefused(() => Decoder.Decode(stream, fileName), expected, fileName);
    }

    [Fact]
    public void Png_decompression_bomb_is_refused_from_its_header_with_the_claimed_size()
    {
        var path = Path.Combine(TestData.HostileDirectory, "png_bomb_40000x40000__DimensionsTooLarge.png");

        var error = AssertRefused(() => Decoder.Decode(path), DecodeFailure.DimensionsTooLarge, "png_bomb_40000x40000");

        Assert.Contains("40000x40000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Png_claiming_65000x65000_is_refused_with_the_claimed_size()
    {
        var path = Path.Combine(TestData.HostileDirectory, "png_header_65000x65000__DimensionsTooLarge.png");

        var error = AssertRefused(() => Decoder.Decode(path), DecodeFailure.DimensionsTooLarge, "png_header_65000x65000");

        Assert.Contains("65000x65000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jpeg_claiming_60000x60000_is_refused_from_the_codec_header()
    {
        var path = Path.Combine(TestData.HostileDirectory, "jpeg_sof_claims_60000x60000__DimensionsTooLarge.jpg");

        var error = AssertRefused(() => Decoder.Decode(path), DecodeFailure.DimensionsTooLarge, "jpeg_sof_claims");

        Assert.Contains("60000x60000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lowered_pixel_and_side_limits_refuse_ordinary_images()
    {
        var path = TestData.Photo("p04_flowers.png"); // 300x200
        var fewPixels = new ImageDecoder(new DecodeOptions { MaxPixels = 300 * 200 - 1 });
        var shortSides = new ImageDecoder(new DecodeOptions { MaxDimension = 299 });

        AssertRefused(() => fewPixels.Decode(path), DecodeFailure.DimensionsTooLarge, "p04_flowers.png");
        AssertRefused(() => shortSides.Decode(path), DecodeFailure.DimensionsTooLarge, "p04_flowers.png");
        using var exactlyAtLimit = new ImageDecoder(new DecodeOptions { MaxPixels = 300 * 200, MaxDimension = 300 }).Decode(path);
        Assert.Equal(300, exactlyAtLimit.Width);
    }

    [Fact]
    public void File_over_MaxFileBytes_is_refused_before_it_is_read()
    {
        var path = TestData.Photo("p04_flowers.png");
        var length = new FileInfo(path).Length;
        var decoder = new ImageDecoder(new DecodeOptions { MaxFileBytes = length - 1 });

        var error = AssertRefused(() => decoder.Decode(path), DecodeFailure.FileTooLarge, "p04_flowers.png");
        AssertRefused(() => decoder.Decode(File.ReadAllBytes(path), path), DecodeFailure.FileTooLarge, "p04_flowers.png");
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        AssertRefused(() => decoder.Decode(stream, path), DecodeFailure.FileTooLarge, "p04_flowers.png");

        Assert.Contains($"{length:N0}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_only_stream_over_MaxFileBytes_is_refused()
    {
        var bytes = new byte[10_000];
        using var stream = new HookedStream(bytes, _ => { }, canSeek: false);
        var decoder = new ImageDecoder(new DecodeOptions { MaxFileBytes = 9_999 });

        AssertRefused(() => decoder.Decode(stream, "pipe.png"), DecodeFailure.FileTooLarge, "pipe.png");
    }

    [Fact]
    public void Missing_file_is_unreadable()
    {
        var path = Path.Combine(Path.GetTempPath(), $"needle-missing-{Guid.NewGuid():N}.jpg");

        var error = AssertRefused(() => Decoder.Decode(path), DecodeFailure.Unreadable, Path.GetFileName(path));

        Assert.Contains("no such file or folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_is_unreadable()
    {
        var path = Directory.CreateTempSubdirectory("needle-dir-").FullName;
        try
        {
            AssertRefused(() => Decoder.Decode(path), DecodeFailure.Unreadable, Path.GetFileName(path));
        }
        finally
        {
            Directory.Delete(path);
        }
    }

    [Fact]
    public void File_locked_by_another_writer_is_unreadable()
    {
        // An exclusive lock makes opening fail even for root, on every platform (a permission test would not).
        var path = Path.Combine(Path.GetTempPath(), $"needle-locked-{Guid.NewGuid():N}.png");
        File.Copy(TestData.Photo("p04_flowers.png"), path);
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
                AssertRefused(() => Decoder.Decode(path), DecodeFailure.Unreadable, Path.GetFileName(path));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_large_jpeg_decoded_by_scanlines_is_truncated()
    {
        using var bitmap = Bitmap(1200, 800, Pattern);
        var jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);

        var error = AssertRefused(() => Decoder.Decode(jpeg.AsMemory(0, jpeg.Length / 2), "half.jpg"), DecodeFailure.Truncated, "half.jpg");
        Assert.StartsWith("truncated: ", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_large_png_is_truncated()
    {
        using var bitmap = Bitmap(700, 600, Pattern);
        var png = Encode(bitmap, SKEncodedImageFormat.Png);

        AssertRefused(() => Decoder.Decode(png.AsMemory(0, png.Length * 9 / 10), "most.png"), DecodeFailure.Truncated, "most.png");
    }

    [Fact]
    public void Truncated_gif_is_truncated()
    {
        SKColor[] palette = [SKColors.Black, SKColors.Red, SKColors.Lime, SKColors.White];
        var gif = Gif87(40, 40, palette, (x, y) => (x + y) % 4);

        AssertRefused(() => Decoder.Decode(gif.AsMemory(0, gif.Length / 2), "half.gif"), DecodeFailure.Truncated, "half.gif");
    }

    [Fact]
    public void Every_truncation_of_a_small_png_and_jpeg_fails_cleanly_or_decodes_completely()
    {
        using var bitmap = Bitmap(24, 16, Pattern);
        foreach (var (file, name) in new[] { (Encode(bitmap, SKEncodedImageFormat.Png), "t.png"), (Encode(bitmap, SKEncodedImageFormat.Jpeg, 90), "t.jpg") })
        {
            using var complete = Decoder.Decode(file, name);
            for (var length = 0; length < file.Length; length++)
            {
                try
                {
                    using var image = Decoder.Decode(file.AsMemory(0, length), name);

                    // Only bytes after the pixel data (checksums, IEND, EOI) may be missing: never a partial image.
                    Assert.True(image.Pixels.SequenceEqual(complete.Pixels), $"{name} cut to {length} of {file.Length} bytes gave different pixels");
                    Assert.True(length >= file.Length - 24, $"{name} cut to {length} of {file.Length} bytes decoded");
                }
                catch (ImageDecodeException e)
                {
                    Assert.Contains(name, e.Message, StringComparison.Ordinal);
                    Assert.True(e.Failure is DecodeFailure.Empty or DecodeFailure.Corrupt or DecodeFailure.Truncated or DecodeFailure.UnrecognisedFormat, $"{length}: {e.Failure}");
                }
            }
        }
    }

    [Fact]
    public void Failure_messages_start_with_the_path()
    {
        var path = Path.Combine(TestData.HostileDirectory, "text_named_as_jpeg__UnrecognisedFormat.jpg");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.StartsWith(path + ": ", error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.Path);
        Assert.Equal(DecodeFailure.UnrecognisedFormat, error.Failure);
    }

#if NEEDLE_MAGICK
    [Fact]
    public void Unsupported_formats_say_what_they_are_and_what_to_do()
    {
        byte[] jpeg2000 = [0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ', 0x0D, 0x0A, 0x87, 0x0A, 0, 0, 0, 0x14];

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(jpeg2000, "scan.jp2"));

        Assert.Equal(DecodeFailure.UnsupportedFormat, error.Failure);
        Assert.Equal("JPEG 2000 images are not supported; convert to JPEG or PNG first", error.Reason);
    }
#else
    [Fact]
    public void Unsupported_formats_say_what_they_are_and_what_to_do()
    {
        var path = Path.Combine(TestData.HostileDirectory, "heic_ftyp_box_only__Truncated.heic");

        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(path));

        Assert.Equal(DecodeFailure.UnsupportedFormat, error.Failure);
        Assert.Equal("HEIC images are not supported; convert to JPEG or PNG first", error.Reason);
    }
#endif

    private static ImageDecodeException AssertRefused(Action decode, DecodeFailure expected, string nameInMessage)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageDecodeException>(decode);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(expected == error.Failure, $"expected {expected}, got {error.Failure}: {error.Message}");
        Assert.Contains(nameInMessage, error.Message, StringComparison.Ordinal);
        Assert.True(allocated < AllocationBudget, $"refusing allocated {allocated:N0} bytes");
        return error;
    }
}
