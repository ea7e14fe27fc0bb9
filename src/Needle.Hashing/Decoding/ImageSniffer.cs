using System.Buffers.Binary;

namespace Needle.Hashing.Decoding;

/// <summary>What the first bytes of a file say about it, before any decoder sees it.</summary>
/// <param name="Format">The format, when recognised.</param>
/// <param name="UnsupportedReason">Set when the bytes are a known format Needle cannot decode.</param>
/// <param name="Width">Width from the header, or 0 when not read here.</param>
/// <param name="Height">Height from the header, or 0 when not read here.</param>
/// <param name="BitsPerSample">Bits per sample from the header (PNG only), else 8.</param>
internal readonly record struct SniffedHeader(
    ImageFormat Format, string? UnsupportedReason, long Width, long Height, int BitsPerSample)
{
    /// <summary>Whether the magic bytes name a format that Skia decodes.</summary>
    public bool IsDecodableFormat => Format is ImageFormat.Jpeg or ImageFormat.Png or ImageFormat.Gif
        or ImageFormat.Bmp or ImageFormat.Webp or ImageFormat.Ico;

    /// <summary>
    /// Whether the magic bytes name a format the second decoder (Magick.NET) reads: HEIF/HEIC, AVIF, TIFF, JPEG XL,
    /// PSD, camera raw. Without it (built with <c>NeedleMagick=false</c>) these are refused with <see cref="UnsupportedReason"/>.
    /// </summary>
    public bool IsMagickFormat => Format is ImageFormat.Heif or ImageFormat.Avif or ImageFormat.Tiff or ImageFormat.JpegXl
        or ImageFormat.Psd or ImageFormat.Dng or ImageFormat.CameraRaw;

    /// <summary>Whether <see cref="Width"/> and <see cref="Height"/> were read from the header (either may then be 0, an invalid size).</summary>
    public bool HasSize { get; init; }
}

/// <summary>Recognises formats by magic bytes and reads the dimensions of the simple headers (PNG, GIF, BMP).</summary>
internal static class ImageSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> wants.</summary>
    public const int HeaderBytes = 64;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> JxlContainer => [0, 0, 0, 0x0C, (byte)'J', (byte)'X', (byte)'L', (byte)' ', 0x0D, 0x0A, 0x87, 0x0A];

    private static ReadOnlySpan<byte> Jp2Container => [0, 0, 0, 0x0C, (byte)'j', (byte)'P', (byte)' ', (byte)' ', 0x0D, 0x0A, 0x87, 0x0A];

    public static SniffedHeader Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(PngSignature))
        {
            // IHDR is always the first chunk: length(4) "IHDR"(4) width(4) height(4) bit depth(1) colour type(1).
            if (head.Length >= 25 && head[12..16].SequenceEqual("IHDR"u8))
            {
                var bits = head[24] == 16 ? 16 : 8;
                return new(ImageFormat.Png, null, BinaryPrimitives.ReadUInt32BigEndian(head[16..]),
                    BinaryPrimitives.ReadUInt32BigEndian(head[20..]), bits) { HasSize = true };
            }

            return Known(ImageFormat.Png);
        }

        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return Known(ImageFormat.Jpeg);
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return head.Length >= 10
                ? new(ImageFormat.Gif, null, BinaryPrimitives.ReadUInt16LittleEndian(head[6..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(head[8..]), 8) { HasSize = true }
                : Known(ImageFormat.Gif);
        }

        if (head.StartsWith("BM"u8))
        {
            return SniffBmp(head);
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return Known(ImageFormat.Webp);
        }

        if (head.Length >= 4 && head[0] == 0 && head[1] == 0 && (head[2] == 1 || head[2] == 2) && head[3] == 0)
        {
            return Known(ImageFormat.Ico);
        }

        return SniffUnsupported(head);
    }

    private static SniffedHeader SniffBmp(ReadOnlySpan<byte> head)
    {
        if (head.Length < 26)
        {
            return Known(ImageFormat.Bmp);
        }

        var dibHeaderSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
        if (dibHeaderSize == 12)
        {
            // OS/2 BITMAPCOREHEADER: 16-bit sizes.
            return new(ImageFormat.Bmp, null, BinaryPrimitives.ReadUInt16LittleEndian(head[18..]),
                BinaryPrimitives.ReadUInt16LittleEndian(head[20..]), 8) { HasSize = true };
        }

        // BITMAPINFOHEADER and later: signed 32-bit sizes; a negative height means top-down rows.
        long width = BinaryPrimitives.ReadInt32LittleEndian(head[18..]);
        long height = BinaryPrimitives.ReadInt32LittleEndian(head[22..]);
        return new(ImageFormat.Bmp, null, Math.Abs(width), Math.Abs(height), 8) { HasSize = true };
    }

    private static SniffedHeader SniffUnsupported(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            return SniffIsoMedia(head);
        }

        if (head.StartsWith("II*\0"u8) || head.StartsWith("MM\0*"u8) || head.StartsWith("II+\0"u8) || head.StartsWith("MM\0+"u8))
        {
            // Canon CR2: a TIFF with "CR" and major version 2 right after the header.
            if (head.Length >= 11 && head[8] == (byte)'C' && head[9] == (byte)'R' && head[10] == 2)
            {
                return Unsupported(ImageFormat.CameraRaw, "camera raw images are not supported; convert to JPEG or PNG first");
            }

            return Unsupported(ImageFormat.Tiff,
                "TIFF images (and TIFF-based camera raw files) are not supported; convert to JPEG or PNG first");
        }

        if (head.StartsWith(JxlContainer) || (head.Length >= 2 && head[0] == 0xFF && head[1] == 0x0A))
        {
            return Unsupported(ImageFormat.JpegXl, "JPEG XL images are not supported; convert to JPEG or PNG first");
        }

        if (head.StartsWith(Jp2Container) || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]))
        {
            return Unsupported(ImageFormat.Unknown, "JPEG 2000 images are not supported; convert to JPEG or PNG first");
        }

        if (head.StartsWith("8BPS"u8))
        {
            return Unsupported(ImageFormat.Psd, "Photoshop (PSD) files are not supported; export to JPEG or PNG first");
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x76, 0x2F, 0x31, 0x01]))
        {
            return Unsupported(ImageFormat.Unknown, "OpenEXR images are not supported; convert to PNG first");
        }

        if (head.StartsWith("%PDF"u8))
        {
            return Unsupported(ImageFormat.Unknown, "PDF documents are not supported");
        }

        return default;
    }

    /// <summary>
    /// An ISO base media file: the major brand and the compatible brands of its <c>ftyp</c> box (as far as the head
    /// holds them) say whether it is AVIF, HEIF/HEIC, Canon CR3, or a video. AVIF wins over HEIF, because AVIF files
    /// often carry the generic HEIF brand <c>mif1</c> too.
    /// </summary>
    private static SniffedHeader SniffIsoMedia(ReadOnlySpan<byte> head)
    {
        var boxEnd = (int)Math.Clamp(BinaryPrimitives.ReadUInt32BigEndian(head), 16u, (uint)head.Length);
        var avif = false;
        var heif = false;
        var cr3 = false;
        for (var offset = 8; offset + 4 <= boxEnd; offset += offset == 8 ? 8 : 4)
        {
            var brand = head.Slice(offset, 4);
            avif |= brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8);
            heif |= brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("hevc"u8) ||
                brand.SequenceEqual("hevx"u8) || brand.SequenceEqual("heim"u8) || brand.SequenceEqual("heis"u8) ||
                brand.SequenceEqual("mif1"u8) || brand.SequenceEqual("msf1"u8);
            cr3 |= brand.SequenceEqual("crx "u8);
        }

        if (cr3)
        {
            return Unsupported(ImageFormat.CameraRaw, "Canon CR3 raw images are not supported; convert to JPEG or PNG first");
        }

        if (avif)
        {
            return Unsupported(ImageFormat.Avif, "AVIF images are not supported; convert to JPEG or PNG first");
        }

        if (heif)
        {
            return Unsupported(ImageFormat.Heif, "HEIC images are not supported; convert to JPEG or PNG first");
        }

        return Unsupported(ImageFormat.Unknown, "this is an ISO media file (such as MP4 or QuickTime video), not a still image");
    }

    private static SniffedHeader Known(ImageFormat format) => new(format, null, 0, 0, 8);

    private static SniffedHeader Unsupported(ImageFormat format, string reason) => new(format, reason, 0, 0, 8);
}
