using System.Buffers.Binary;
using ImageMagick;

namespace Needle.Hashing.Decoding;

/// <summary>
/// The second decoder: Magick.NET (ImageMagick with libheif/libde265, aom, libjxl, libraw, libtiff) for the formats
/// SkiaSharp does not read. It is only reached through <see cref="ImageDecoder"/>, for a file whose signature the
/// sniffer recognised, and always with that format named (ImageMagick never guesses from the content). The same
/// limits apply as on the Skia path: the header's size is read first (a ping, no pixels) and checked, the pixel memory
/// is reserved from the <see cref="DecodeMemoryBudget"/>, and the decode stops when the guard trips.
/// </summary>
internal static class MagickDecoder
{
    /// <summary>TIFF tags that tell a camera raw from a plain TIFF.</summary>
    private const ushort MakeTag = 0x010F;
    private const ushort DngVersionTag = 0xC612;

    /// <summary>
    /// Reads the first image of <paramref name="bytes"/> as 8-bit RGBA. <paramref name="outputBytes"/> gives, for the
    /// header's size, the bytes the caller will allocate afterwards, reserved together with the decode's own.
    /// </summary>
    public static MagickPixels Read(
        ReadOnlySpan<byte> bytes, SniffedHeader header, DecodeOptions options, string? name, DecodeGuard guard,
        Func<long, long, long> outputBytes)
    {
        MagickEnvironment.Ensure(options, name);
        var format = header.Format;
        var magickFormat = ChooseFormat(header.Format, bytes, ref format);
        var settings = Settings(magickFormat, frameIndex: 0);
        var formatName = Name(format);
        if (TiffDirectoryOffset(bytes) is { } directory && directory >= (ulong)bytes.Length)
        {
            throw new ImageDecodeException(name, DecodeFailure.Truncated,
                $"truncated: the {formatName} header puts its first directory at byte {directory:N0}, past the end of the {bytes.Length:N0}-byte file");
        }

        // Every image item's declared size (HEIF "ispe" boxes: the grid as well as its tiles), before libheif sees them.
        if (format is ImageFormat.Heif or ImageFormat.Avif)
        {
            CheckItemSizes(bytes, options, name);
        }

        uint width;
        uint height;
        try
        {
            using var ping = new MagickImage();
            ping.Ping(bytes, settings);
            width = ping.Width;
            height = ping.Height;
        }
        catch (MagickException e)
        {
            throw Refusal(e, formatName, name, guard);
        }

        ImageDecoder.CheckDimensions(options, width, height, name);
        guard.ThrowIfShouldStop(name);

        // ImageMagick's own pixel cache (Q8: at most 5 channels) plus the RGBA copy, plus what the caller adds.
        var pixels = (long)width * height;
        var reservation = options.MemoryBudget.Reserve((pixels * 9) + outputBytes(width, height), guard, name);
        try
        {
            using var image = new MagickImage();
            image.Progress += (_, e) => e.Cancel = guard.ShouldStop();
            try
            {
                image.Read(bytes, settings);
            }
            catch (MagickException e)
            {
                throw Refusal(e, formatName, name, guard);
            }

            guard.ThrowIfShouldStop(name);
            if (image.Width != width || image.Height != height)
            {
                // A reader that finds another size than its header promised: refuse rather than trust either.
                throw new ImageDecodeException(name, DecodeFailure.Corrupt,
                    $"the {formatName} header says {width}x{height} pixels but the image decodes to {image.Width}x{image.Height}");
            }

            var bits = (int)Math.Min(16, Math.Max(8, image.Depth));
            var orientation = (int)image.Orientation is >= 1 and <= 8 ? (int)image.Orientation : 1;
            if (image.ColorSpace is not (ColorSpace.sRGB or ColorSpace.RGB or ColorSpace.Gray or ColorSpace.LinearGray or ColorSpace.Undefined))
            {
                // CMYK (PSD, TIFF), Lab and the like: converted by ImageMagick's formulas, no colour management.
                image.ColorSpace = ColorSpace.sRGB;
            }

            using var collection = image.GetPixelsUnsafe();
            var rgba = collection.ToByteArray(0, 0, width, height, "RGBA")
                ?? throw new ImageDecodeException(name, DecodeFailure.Corrupt, $"the {formatName} pixels could not be read");
            guard.ThrowIfShouldStop(name);
            return new MagickPixels(rgba, (int)width, (int)height, format, orientation, bits, reservation);
        }
        catch
        {
            reservation.Dispose();
            throw;
        }
    }

    /// <summary>Read settings that name the format (never guessed) and keep HEIF's stored orientation, as the JPEG path does.</summary>
    internal static MagickReadSettings Settings(MagickFormat format, uint frameIndex)
    {
        var settings = new MagickReadSettings { Format = format, FrameIndex = frameIndex, FrameCount = 1 };

        // libheif would otherwise rotate the pixels by the file's irot/imir and reset the orientation; with this the
        // stored pixels come out and the EXIF orientation is reported, applied only with DecodeOptions.AutoOrient.
        settings.SetDefine(MagickFormat.Heic, "preserve-orientation", "true");
        return settings;
    }

    /// <summary>The ImageMagick coder for a sniffed format; a TIFF whose first directory names a camera maker goes to libraw.</summary>
    internal static MagickFormat ChooseFormat(ImageFormat sniffed, ReadOnlySpan<byte> bytes, ref ImageFormat format)
    {
        switch (sniffed)
        {
            case ImageFormat.Heif:
                return MagickFormat.Heic;
            case ImageFormat.Avif:
                return MagickFormat.Avif;
            case ImageFormat.JpegXl:
                return MagickFormat.Jxl;
            case ImageFormat.Psd:
                return MagickFormat.Psd;
            case ImageFormat.Dng:
                return MagickFormat.Dng;
            case ImageFormat.CameraRaw:
                // CR2 (a TIFF) and CR3 (ISO media); libraw tells the two apart itself.
                return bytes.Length > 4 && bytes[4..].StartsWith("ftyp"u8) ? MagickFormat.Cr3 : MagickFormat.Cr2;
            case ImageFormat.Tiff:
                var raw = TiffRawKind(bytes);
                if (raw is { } kind)
                {
                    format = kind.Format;
                    return kind.Coder;
                }

                return MagickFormat.Tiff;
            default:
                throw new ArgumentOutOfRangeException(nameof(sniffed), sniffed, "Not a format for the second decoder.");
        }
    }

    /// <summary>
    /// Looks at the first directory of a TIFF for the tags that make it a camera raw: DNGVersion (DNG), or a Make of a
    /// maker whose raw files are TIFF-based (Nikon NEF, Sony ARW, Pentax PEF, Olympus ORF, Panasonic RW2 is not TIFF).
    /// Null for a plain TIFF (or one whose directory cannot be read: libtiff then reports it).
    /// </summary>
    internal static (ImageFormat Format, MagickFormat Coder)? TiffRawKind(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || !(bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8)))
        {
            return null;
        }

        var little = bytes[0] == (byte)'I';
        var ifd = little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]) : BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        if (ifd < 8 || ifd > bytes.Length - 2)
        {
            return null;
        }

        var count = little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(int)ifd..]) : BinaryPrimitives.ReadUInt16BigEndian(bytes[(int)ifd..]);
        for (var i = 0; i < count; i++)
        {
            var at = (int)ifd + 2 + (i * 12);
            if (at + 12 > bytes.Length)
            {
                return null;
            }

            var entry = bytes.Slice(at, 12);
            var tag = little ? BinaryPrimitives.ReadUInt16LittleEndian(entry) : BinaryPrimitives.ReadUInt16BigEndian(entry);
            if (tag == DngVersionTag)
            {
                return (ImageFormat.Dng, MagickFormat.Dng);
            }

            if (tag == MakeTag && MakeOf(bytes, entry, little) is { } make)
            {
                return make switch
                {
                    _ when make.StartsWith("NIKON", StringComparison.OrdinalIgnoreCase) => (ImageFormat.CameraRaw, MagickFormat.Nef),
                    _ when make.StartsWith("SONY", StringComparison.OrdinalIgnoreCase) => (ImageFormat.CameraRaw, MagickFormat.Arw),
                    _ when make.StartsWith("PENTAX", StringComparison.OrdinalIgnoreCase) => (ImageFormat.CameraRaw, MagickFormat.Pef),
                    _ when make.StartsWith("OLYMPUS", StringComparison.OrdinalIgnoreCase) => (ImageFormat.CameraRaw, MagickFormat.Orf),
                    _ when make.StartsWith("Canon", StringComparison.OrdinalIgnoreCase) => (ImageFormat.CameraRaw, MagickFormat.Cr2),
                    _ => null,
                };
            }
        }

        return null;
    }

    /// <summary>
    /// Checks the size of every <c>ispe</c> (image spatial extents) property in the first 256 KiB of a HEIF/AVIF file,
    /// where its <c>meta</c> box is: libheif reports the coded size, which a hostile file can make differ from the
    /// size the file declares.
    /// </summary>
    internal static void CheckItemSizes(ReadOnlySpan<byte> bytes, DecodeOptions options, string? name)
    {
        var head = bytes[..Math.Min(bytes.Length, 256 * 1024)];
        var from = 0;
        while (true)
        {
            var found = head[from..].IndexOf("ispe"u8);
            if (found < 0)
            {
                return;
            }

            var at = from + found;
            if (at >= 4 && at + 16 <= head.Length)
            {
                // size(4) "ispe" version+flags(4) width(4) height(4)
                ImageDecoder.CheckDimensions(options, BinaryPrimitives.ReadUInt32BigEndian(head[(at + 8)..]),
                    BinaryPrimitives.ReadUInt32BigEndian(head[(at + 12)..]), name);
            }

            from = at + 4;
        }
    }

    /// <summary>Where a classic TIFF (or TIFF-based raw) says its first directory is; null for anything else.</summary>
    internal static ulong? TiffDirectoryOffset(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8)
        {
            return null;
        }

        if (bytes.StartsWith("II*\0"u8))
        {
            return BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        }

        return bytes.StartsWith("MM\0*"u8) ? BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]) : null;
    }

    private static string? MakeOf(ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> entry, bool little)
    {
        var length = little ? BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]) : BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
        var value = length <= 4 ? entry.Slice(8, (int)length) : default;
        if (length > 4)
        {
            var offset = little ? BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]) : BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            if (length > 64 || offset > (uint)bytes.Length || length > bytes.Length - offset)
            {
                return null;
            }

            value = bytes.Slice((int)offset, (int)length);
        }

        return System.Text.Encoding.ASCII.GetString(value).TrimEnd('\0', ' ');
    }

    /// <summary>The failure for an ImageMagick error, in Needle's words, with ImageMagick's reason minus its temporary file names.</summary>
    internal static ImageDecodeException Refusal(MagickException e, string formatName, string? name, DecodeGuard guard)
    {
        guard.ThrowIfStopped(name);
        var reason = Clean(e.Message);
        if (e is MagickPolicyErrorException)
        {
            return new ImageDecodeException(name, DecodeFailure.UnsupportedFormat,
                $"the {formatName} decoder refused the file under Needle's coder policy ({reason})", e);
        }

        if (e is MagickResourceLimitErrorException || reason.Contains("security limit", StringComparison.OrdinalIgnoreCase) ||
            reason.Contains("exceeds limit", StringComparison.OrdinalIgnoreCase) || reason.Contains("too large", StringComparison.OrdinalIgnoreCase))
        {
            if (reason.Contains("time limit", StringComparison.OrdinalIgnoreCase))
            {
                return new ImageDecodeException(name, DecodeFailure.TimedOut, $"decoding the {formatName} image took longer than the limit", e);
            }

            return new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge, $"the {formatName} image is over a decoding limit ({reason})", e);
        }

        if (LooksTruncated(reason))
        {
            return new ImageDecodeException(name, DecodeFailure.Truncated,
                $"truncated: the {formatName} data ends before the image is complete ({reason})", e);
        }

        return new ImageDecodeException(name, DecodeFailure.Corrupt, $"the {formatName} image is damaged or not a {formatName} image ({reason})", e);
    }

    private static bool LooksTruncated(string reason) =>
        reason.Contains("end of file", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("unexpected end", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("insufficient image data", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("outside of file bounds", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("truncat", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("read error", StringComparison.OrdinalIgnoreCase) ||
        reason.Contains("premature end", StringComparison.OrdinalIgnoreCase);

    /// <summary>ImageMagick's message up to its source location, without the temporary file it may have read from.</summary>
    private static string Clean(string message)
    {
        var text = message;
        var at = text.IndexOf(" @ ", StringComparison.Ordinal);
        if (at >= 0)
        {
            text = text[..at];
        }

        var quote = text.IndexOf(" `", StringComparison.Ordinal);
        if (quote >= 0)
        {
            text = text[..quote];
        }

        text = text.Replace('\n', ' ').Replace('\r', ' ').Trim();
        return text.Length > 200 ? text[..200] : text;
    }

    internal static string Name(ImageFormat format) => format switch
    {
        ImageFormat.Heif => "HEIF",
        ImageFormat.Avif => "AVIF",
        ImageFormat.Tiff => "TIFF",
        ImageFormat.JpegXl => "JPEG XL",
        ImageFormat.Psd => "PSD",
        ImageFormat.Dng => "DNG",
        ImageFormat.CameraRaw => "camera raw",
        ImageFormat.Gif => "GIF",
        ImageFormat.Png => "PNG",
        ImageFormat.Webp => "WebP",
        _ => "image",
    };
}
