#if NEEDLE_MAGICK
using System.Buffers.Binary;
using ImageMagick;
using Needle.Hashing.Decoding;
using Needle.Hashing.Pdq;
using Needle.Testing;

namespace Needle.Hashing.Tests;

/// <summary>
/// The second decoder (Magick.NET): HEIC, AVIF, TIFF (8 and 16 bits) and JPEG XL made from the shared photos hash like
/// their PNG twins (exactly when lossless, within a lossy tolerance otherwise), HEIC's EXIF orientation is handled as
/// the JPEG path handles it, and ImageMagick's dangerous coders cannot be reached.
/// </summary>
public sealed class MagickFormatTests
{
    /// <summary>
    /// Bits a lossy re-encoding at quality 90 may move the hash (HEIC, AVIF, JPEG XL); a JPEG at quality 90 of the
    /// same photos stays within the same bound (see <see cref="Lossy_formats_stay_within_what_a_quality_90_jpeg_moves_the_hash"/>).
    /// </summary>
    private const int LossyTolerance = 16;

    private static readonly ImageDecoder Decoder = new();

    /// <summary>How a file that is not really HEIF is refused: libheif finds no image in it.</summary>
    private static readonly DecodeFailure[] Refusals = [DecodeFailure.Corrupt, DecodeFailure.Truncated];

    public static TheoryData<string> Photos() => new(
        "p01_keong_macan.png", "p04_flowers.png", "p08_video_frame.png", "p15_city_pano.png", "p23_cell_grey.png", "e1_alpha_rgba.png");

    [Theory]
    [MemberData(nameof(Photos))]
    public void Lossless_tiff_hashes_exactly_like_its_png_twin(string photo)
    {
        var tiff = Encode(photo, MagickFormat.Tiff, quality: 100, CompressionMethod.LZW);

        var (hash, image) = Hash(tiff, photo + ".tif");

        Assert.Equal(ImageFormat.Tiff, image.Format);
        Assert.Equal(HashPng(photo), hash);
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Lossless_jpeg_xl_hashes_exactly_like_its_png_twin(string photo)
    {
        var jxl = Encode(photo, MagickFormat.Jxl, quality: 100);

        var (hash, image) = Hash(jxl, photo + ".jxl");

        Assert.Equal(ImageFormat.JpegXl, image.Format);
        Assert.Equal(HashPng(photo), hash);
    }

    [Fact]
    public void Lossless_heic_hashes_exactly_like_its_png_twin()
    {
        var (hash, image) = Hash(File.ReadAllBytes(Formats("p04_flowers_lossless.heic")), "p04_flowers_lossless.heic");

        Assert.Equal(ImageFormat.Heif, image.Format);
        Assert.Equal((300, 200), (image.SourceWidth, image.SourceHeight));
        Assert.Equal(HashPng("p04_flowers.png"), hash);
    }

    [Theory]
    [MemberData(nameof(Photos))]
    public void Lossy_avif_and_jpeg_xl_hash_within_the_lossy_tolerance_of_their_png_twin(string photo)
    {
        var png = HashPng(photo).Hash;

        var (avif, avifImage) = Hash(Encode(photo, MagickFormat.Avif, quality: 90), photo + ".avif");
        var (jxl, _) = Hash(Encode(photo, MagickFormat.Jxl, quality: 90), photo + ".jxl");

        Assert.Equal(ImageFormat.Avif, avifImage.Format);
        Assert.InRange(avif.Hash.HammingDistance(png), 0, LossyTolerance);
        Assert.InRange(jxl.Hash.HammingDistance(png), 0, LossyTolerance);
    }

    [Fact]
    public void Lossy_heic_hashes_within_the_lossy_tolerance_of_its_png_twin()
    {
        var (hash, _) = Hash(File.ReadAllBytes(Formats("p04_flowers_q90.heic")), "p04_flowers_q90.heic");

        Assert.InRange(hash.Hash.HammingDistance(HashPng("p04_flowers.png").Hash), 0, LossyTolerance);
    }

    [Theory]
    [InlineData("p01_keong_macan.png")]
    [InlineData("p04_flowers.png")]
    [InlineData("p08_video_frame.png")]
    [InlineData("p15_city_pano.png")]
    [InlineData("p23_cell_grey.png")]
    public void Lossy_formats_stay_within_what_a_quality_90_jpeg_moves_the_hash(string photo)
    {
        // The yardstick for LossyTolerance: what the JPEG path gives for the same photo at the same quality.
        var png = HashPng(photo).Hash;
        using var bitmap = SkiaSharp.SKBitmap.Decode(TestData.Photo(photo));
        var (jpeg, _) = Hash(TestImages.Encode(bitmap, SkiaSharp.SKEncodedImageFormat.Jpeg, 90), photo + ".jpg");

        Assert.InRange(jpeg.Hash.HammingDistance(png), 0, LossyTolerance);
    }

    [Fact]
    public void Sixteen_bit_tiff_is_reduced_to_8_bits_within_one_of_the_16_bit_png_path()
    {
        var reference = ReferencePng.Read(TestData.Photo("e2_16bit_rgb.png"));
        var tiff = Tiff16(reference);
        var full = new ImageDecoder(new DecodeOptions { ResampleSize = null });

        using var fromTiff = full.Decode(tiff, "e2_16bit_rgb.tif");
        using var fromPng = full.Decode(TestData.Photo("e2_16bit_rgb.png"));

        Assert.Equal(16, fromTiff.BitsPerSample);
        Assert.Equal((fromPng.Width, fromPng.Height, fromPng.Layout), (fromTiff.Width, fromTiff.Height, fromTiff.Layout));
        var tiffPixels = fromTiff.Pixels;
        var pngPixels = fromPng.Pixels;
        for (var i = 0; i < pngPixels.Length; i++)
        {
            // The PNG path keeps the high byte; ImageMagick's 8-bit build rounds (v + 128) / 257: never more than one apart.
            Assert.InRange(tiffPixels[i] - pngPixels[i], -1, 1);
            Assert.Equal((reference.Samples[i] + 128) / 257, tiffPixels[i]);
        }

        var hasher = new PdqHasher();
        Assert.InRange(hasher.Hash(fromTiff).Hash.HammingDistance(hasher.Hash(fromPng).Hash), 0, 4);
    }

    [Fact]
    public void Heic_exif_orientation_is_reported_and_applied_only_with_auto_orient_like_the_jpeg_path()
    {
        var heic = File.ReadAllBytes(Formats("e3_exif_orientation6.heic"));
        var jpeg = File.ReadAllBytes(TestData.Photo("e3_exif_orientation6.jpg"));
        var oriented = new ImageDecoder(new DecodeOptions { AutoOrient = true });
        var hasher = new PdqHasher();

        using var stored = Decoder.Decode(heic, "e3.heic");
        using var upright = oriented.Decode(heic, "e3.heic");
        using var storedJpeg = Decoder.Decode(jpeg, "e3.jpg");
        using var uprightJpeg = oriented.Decode(jpeg, "e3.jpg");

        Assert.Equal(6, stored.ExifOrientation);
        Assert.Equal((300, 200), (stored.Width, stored.Height));
        Assert.Equal((200, 300), (upright.Width, upright.Height));
        Assert.Equal((storedJpeg.Width, storedJpeg.Height), (stored.Width, stored.Height));
        Assert.Equal((uprightJpeg.Width, uprightJpeg.Height), (upright.Width, upright.Height));
        Assert.InRange(hasher.Hash(stored).Hash.HammingDistance(hasher.Hash(storedJpeg).Hash), 0, LossyTolerance);
        Assert.InRange(hasher.Hash(upright).Hash.HammingDistance(hasher.Hash(uprightJpeg).Hash), 0, LossyTolerance);
        Assert.True(hasher.Hash(upright).Hash.HammingDistance(hasher.Hash(stored).Hash) > 60);
    }

    [Fact]
    public void Files_decode_the_same_from_a_path_bytes_and_a_stream()
    {
        var path = Formats("p04_flowers_lossless.heic");
        var hasher = new PdqHasher();

        using var fromPath = Decoder.Decode(path);
        using var fromBytes = Decoder.Decode(File.ReadAllBytes(path), path);
        using var stream = new MemoryStream(File.ReadAllBytes(path));
        using var fromStream = Decoder.Decode(stream, path);

        Assert.Equal(hasher.Hash(fromBytes).Hash, hasher.Hash(fromPath).Hash);
        Assert.Equal(hasher.Hash(fromBytes).Hash, hasher.Hash(fromStream).Hash);
    }

    [Fact]
    public void Display_decode_of_a_heic_fits_the_longest_side()
    {
        using var shown = Decoder.DecodeForDisplay(File.ReadAllBytes(Formats("lyon_gps.heic")), 160, "lyon.heic");

        Assert.Equal((160, 120), (shown.Width, shown.Height));
        Assert.Equal((640, 480), (shown.SourceWidth, shown.SourceHeight));
        Assert.Equal(PixelLayout.Rgb24, shown.Layout);
        Assert.Equal(ImageFormat.Heif, shown.Format);
    }

    [Fact]
    public void Limits_apply_to_the_second_decoder_from_the_header()
    {
        var heic = File.ReadAllBytes(Formats("p04_flowers_lossless.heic"));
        var small = new ImageDecoder(new DecodeOptions { MaxPixels = (300 * 200) - 1 });

        var error = Assert.Throws<ImageDecodeException>(() => small.Decode(heic, "p04.heic"));

        Assert.Equal(DecodeFailure.DimensionsTooLarge, error.Failure);
        Assert.Contains("300x200", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MagickFormat.Svg, "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>")]
    [InlineData(MagickFormat.Msl, "<?xml version='1.0'?><image><read filename='/etc/passwd'/></image>")]
    [InlineData(MagickFormat.Mvg, "viewbox 0 0 10 10 image over 0,0 0,0 '/etc/passwd'")]
    [InlineData(MagickFormat.Text, "hello")]
    [InlineData(MagickFormat.Http, "http://127.0.0.1/x.png")]
    [InlineData(MagickFormat.Epdf, "%PDF-1.4")]
    [InlineData(MagickFormat.Ps, "%!PS\nshowpage")]
    public void Dangerous_coders_are_denied_by_the_policy(MagickFormat format, string payload)
    {
        MagickEnvironment.Ensure(DecodeOptions.Default);

        Assert.ThrowsAny<MagickPolicyErrorException>(() =>
        {
            using var image = new MagickImage();
            image.Read(System.Text.Encoding.ASCII.GetBytes(payload), new MagickReadSettings { Format = format });
        });
    }

    [Fact]
    public void Svg_and_msl_payloads_named_heic_are_refused_cleanly()
    {
        var svg = System.Text.Encoding.ASCII.GetBytes("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><image href='/etc/passwd'/></svg>");
        var msl = System.Text.Encoding.ASCII.GetBytes("<?xml version='1.0'?><image><read filename='/etc/passwd'/></image>");
        byte[] ftyp = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', 0, 0, 0, 0,
            (byte)'m', (byte)'i', (byte)'f', (byte)'1', (byte)'h', (byte)'e', (byte)'i', (byte)'c'];

        // Without a HEIF signature the bytes never reach ImageMagick; with one, libheif (and only libheif) reads them.
        Assert.Equal(DecodeFailure.UnrecognisedFormat, Assert.Throws<ImageDecodeException>(() => Decoder.Decode(svg, "photo.heic")).Failure);
        Assert.Equal(DecodeFailure.UnrecognisedFormat, Assert.Throws<ImageDecodeException>(() => Decoder.Decode(msl, "photo.heic")).Failure);
        Assert.Contains(Assert.Throws<ImageDecodeException>(() => Decoder.Decode(ftyp.Concat(svg).ToArray(), "photo.heic")).Failure, Refusals);
        Assert.Contains(Assert.Throws<ImageDecodeException>(() => Decoder.Decode(ftyp.Concat(msl).ToArray(), "photo.heic")).Failure, Refusals);
    }

    [Fact]
    public void Tiff_based_camera_raws_are_told_from_plain_tiff_by_their_first_directory()
    {
        var format = ImageFormat.Tiff;

        Assert.Equal(MagickFormat.Tiff, MagickDecoder.ChooseFormat(ImageFormat.Tiff, TiffWithTag(0x0131, "GIMP"), ref format));
        Assert.Equal(ImageFormat.Tiff, format);
        Assert.Equal(MagickFormat.Nef, MagickDecoder.ChooseFormat(ImageFormat.Tiff, TiffWithTag(0x010F, "NIKON CORPORATION"), ref format));
        Assert.Equal(ImageFormat.CameraRaw, format);
        format = ImageFormat.Tiff;
        Assert.Equal(MagickFormat.Arw, MagickDecoder.ChooseFormat(ImageFormat.Tiff, TiffWithTag(0x010F, "SONY"), ref format));
        format = ImageFormat.Tiff;
        Assert.Equal(MagickFormat.Dng, MagickDecoder.ChooseFormat(ImageFormat.Tiff, TiffWithTag(0xC612, "\u0001\u0004\0"), ref format));
        Assert.Equal(ImageFormat.Dng, format);
    }

    [Fact]
    public void Sniffer_names_the_new_formats_by_signature()
    {
        Assert.Equal(ImageFormat.Heif, ImageSniffer.Sniff(File.ReadAllBytes(Formats("lyon_gps.heic")).AsSpan(0, 64)).Format);
        Assert.Equal(ImageFormat.Avif, ImageSniffer.Sniff(Encode("p10_rose_tiny.png", MagickFormat.Avif, 50).AsSpan(0, 64)).Format);
        Assert.Equal(ImageFormat.JpegXl, ImageSniffer.Sniff(Encode("p10_rose_tiny.png", MagickFormat.Jxl, 50).AsSpan(0, 32)).Format);
        Assert.Equal(ImageFormat.Tiff, ImageSniffer.Sniff("II*\0\u0008\0\0\0"u8).Format);
        Assert.Equal(ImageFormat.CameraRaw, ImageSniffer.Sniff("II*\0\u0010\0\0\0CR\u0002\0"u8).Format);
        Assert.Equal(ImageFormat.Psd, ImageSniffer.Sniff("8BPS\0\u0001"u8).Format);

        // An AVIF whose major brand is the generic mif1 is still AVIF (its compatible brands say so).
        byte[] mif1Avif = [0, 0, 0, 0x1C, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'m', (byte)'i', (byte)'f', (byte)'1', 0, 0, 0, 0,
            (byte)'m', (byte)'i', (byte)'f', (byte)'1', (byte)'a', (byte)'v', (byte)'i', (byte)'f', (byte)'m', (byte)'i', (byte)'a', (byte)'f'];
        Assert.Equal(ImageFormat.Avif, ImageSniffer.Sniff(mif1Avif).Format);
    }

    internal static string Formats(string name) => Path.Combine(TestPaths.RepositoryRoot, "testdata", "formats", name);

    /// <summary>A shared photo re-encoded by Magick.NET (after Needle's policy is in force).</summary>
    internal static byte[] Encode(string photo, MagickFormat format, int quality, CompressionMethod? compression = null)
    {
        MagickEnvironment.Ensure(DecodeOptions.Default);
        using var image = new MagickImage(File.ReadAllBytes(TestData.Photo(photo)), new MagickReadSettings { Format = MagickFormat.Png });
        image.Quality = (uint)quality;
        if (compression is { } method)
        {
            image.Settings.Compression = method;
        }

        return image.ToByteArray(format);
    }

    private static PdqResult HashPng(string photo)
    {
        using var image = Decoder.Decode(TestData.Photo(photo));
        return new PdqHasher().Hash(image);
    }

    private static (PdqResult Hash, DecodedImage Image) Hash(byte[] bytes, string name)
    {
        var image = Decoder.Decode(bytes, name);
        return (new PdqHasher().Hash(image), image);
    }

    /// <summary>An uncompressed 16-bit RGB TIFF of the reference samples, written by hand (ImageMagick's 8-bit build would lose the low bytes).</summary>
    private static byte[] Tiff16(ReferencePng png)
    {
        const int Entries = 9;
        var pixelBytes = png.Width * png.Height * 3 * 2;
        var ifd = 8;
        var bitsAt = ifd + 2 + (Entries * 12) + 4;
        var dataAt = bitsAt + 6;
        var tiff = new byte[dataAt + pixelBytes];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), (uint)ifd);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(ifd), Entries);
        var entry = ifd + 2;
        void Tag(ushort tag, ushort type, uint count, uint value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry + 4), count);
            if (type == 3 && count == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 8), (ushort)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry + 8), value);
            }

            entry += 12;
        }

        Tag(256, 4, 1, (uint)png.Width);
        Tag(257, 4, 1, (uint)png.Height);
        Tag(258, 3, 3, (uint)bitsAt); // BitsPerSample 16,16,16
        Tag(259, 3, 1, 1); // no compression
        Tag(262, 3, 1, 2); // RGB
        Tag(273, 4, 1, (uint)dataAt);
        Tag(277, 3, 1, 3);
        Tag(278, 4, 1, (uint)png.Height);
        Tag(279, 4, 1, (uint)pixelBytes);
        for (var i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(bitsAt + (i * 2)), 16);
        }

        for (var i = 0; i < png.Samples.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(dataAt + (i * 2)), (ushort)png.Samples[i]);
        }

        return tiff;
    }

    /// <summary>A TIFF header and a first directory holding one ASCII/byte tag (enough for the raw check).</summary>
    private static byte[] TiffWithTag(ushort tag, string value)
    {
        var text = System.Text.Encoding.ASCII.GetBytes(value + "\0");
        var tiff = new byte[8 + 2 + 12 + 4 + text.Length];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(10), tag);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(12), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(14), (uint)text.Length);
        if (text.Length <= 4)
        {
            text.CopyTo(tiff.AsSpan(18));
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(18), 26);
            text.CopyTo(tiff.AsSpan(26));
        }

        return tiff;
    }
}
#endif
