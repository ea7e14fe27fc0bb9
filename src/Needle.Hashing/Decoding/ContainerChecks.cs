using System.Buffers.Binary;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Checks that a file holds as many bytes as its own headers declare (WebP RIFF and chunk sizes, BMP pixel data, PNG
/// chunk lengths): a decoder may otherwise fill the missing part with zeros and report success. Reads only headers.
/// </summary>
internal static class ContainerChecks
{
    /// <summary>Reads up to <c>destination.Length</c> bytes at an offset; returns how many were read.</summary>
    public delegate int ReadAt(long offset, Span<byte> destination);

    /// <summary>Why the file is shorter than its headers say (null when it is not, or the format is not checked here), and how to read a codec's "incomplete input".</summary>
    public static ContainerCheck Inspect(ImageFormat format, long length, ReadAt read) => format switch
    {
        ImageFormat.Webp => new(CheckWebp(length, read), false),
        ImageFormat.Bmp => new(CheckBmp(length, read), false),
        ImageFormat.Png => CheckPng(length, read),
        ImageFormat.Gif => new(CheckGif(length, read), false),
        _ => new(null, false),
    };

    private static string? CheckWebp(long length, ReadAt read)
    {
        Span<byte> head = stackalloc byte[12];
        if (read(0, head) < 12)
        {
            return "the WebP header is incomplete";
        }

        var declared = (long)BinaryPrimitives.ReadUInt32LittleEndian(head[4..]) + 8;
        if (declared > length)
        {
            return $"the WebP header declares {declared:N0} bytes but the file has {length:N0}";
        }

        // Every chunk inside the RIFF body must fit as well.
        Span<byte> chunk = stackalloc byte[8];
        for (var position = 12L; position < declared;)
        {
            if (read(position, chunk) < 8)
            {
                return "the WebP data ends inside a chunk header";
            }

            var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(chunk[4..]);
            var end = position + 8 + size + (size & 1);
            if (position + 8 + size > declared)
            {
                return $"the WebP chunk '{Fourcc(chunk)}' declares {size:N0} bytes but only {declared - position - 8:N0} remain";
            }

            position = end;
        }

        return null;
    }

    private static string? CheckBmp(long length, ReadAt read)
    {
        Span<byte> head = stackalloc byte[38];
        var got = read(0, head);
        if (got < 26)
        {
            return null; // The codec refuses a header this short.
        }

        var offBits = (long)BinaryPrimitives.ReadUInt32LittleEndian(head[10..]);
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(head[14..]);
        long width, height;
        int bitCount;
        uint compression = 0, sizeImage = 0;
        if (dibSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(head[20..]);
            bitCount = BinaryPrimitives.ReadUInt16LittleEndian(head[24..]);
        }
        else if (got >= 38)
        {
            width = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[18..]));
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[22..]));
            bitCount = BinaryPrimitives.ReadUInt16LittleEndian(head[28..]);
            compression = BinaryPrimitives.ReadUInt32LittleEndian(head[30..]);
            sizeImage = BinaryPrimitives.ReadUInt32LittleEndian(head[34..]);
        }
        else
        {
            return null;
        }

        long needed;
        switch (compression)
        {
            case 0 or 3 or 6: // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS: whole rows padded to 4 bytes.
                if (bitCount is not (1 or 2 or 4 or 8 or 16 or 24 or 32))
                {
                    return null;
                }

                needed = offBits + (((width * bitCount) + 31) / 32 * 4 * height);
                break;
            case 1 or 2: // RLE8, RLE4: the header's image size, when given.
                if (sizeImage == 0)
                {
                    return null;
                }

                needed = offBits + sizeImage;
                break;
            default:
                return null;
        }

        return needed > length ? $"the BMP header declares {needed:N0} bytes of image but the file has {length:N0}" : null;
    }

    private static ContainerCheck CheckPng(long length, ReadAt read)
    {
        Span<byte> chunk = stackalloc byte[8];
        Span<byte> ihdr = stackalloc byte[13];
        long rawBytes = 0, idatBytes = 0;
        for (var position = 8L; position < length;)
        {
            if (read(position, chunk) < 8)
            {
                return new("the PNG data ends inside a chunk header", false);
            }

            var size = (long)BinaryPrimitives.ReadUInt32BigEndian(chunk);
            if (position + 12 + size > length)
            {
                return new($"the PNG chunk '{Fourcc(chunk)}' declares {size:N0} bytes but only {Math.Max(0, length - position - 12):N0} remain", false);
            }

            var type = chunk[4..8];
            if (type.SequenceEqual("IHDR"u8) && size >= 13 && read(position + 8, ihdr) == 13)
            {
                rawBytes = PngRawBytes(ihdr);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                idatBytes += size;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                // Every chunk is whole: if the codec still runs out of data, the compressed data itself is damaged.
                return new(TooLittlePngData(rawBytes, idatBytes), true);
            }

            position += 12 + size;
        }

        return new(TooLittlePngData(rawBytes, idatBytes), false);
    }

    /// <summary>Bytes of filtered scanlines that the IHDR declares (0 when it cannot tell).</summary>
    private static long PngRawBytes(ReadOnlySpan<byte> ihdr)
    {
        long width = BinaryPrimitives.ReadUInt32BigEndian(ihdr);
        long height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
        int bitDepth = ihdr[8];
        var channels = ihdr[9] switch
        {
            0 or 3 => 1,
            2 => 3,
            4 => 2,
            6 => 4,
            _ => 0,
        };
        return channels == 0 || bitDepth is not (1 or 2 or 4 or 8 or 16) ? 0 : height * (1 + (((width * channels * bitDepth) + 7) / 8));
    }

    /// <summary>
    /// Deflate expands at most about 1032 times (a 258-byte match in two bits); image data below that bound cannot hold
    /// the declared scanlines, so the file was cut (or its header lies) and is refused before pixels are allocated.
    /// </summary>
    private static string? TooLittlePngData(long rawBytes, long idatBytes) =>
        rawBytes > 0 && idatBytes * MaxDeflateRatio < rawBytes
            ? $"the PNG declares {rawBytes:N0} bytes of pixels but its {idatBytes:N0} bytes of image data cannot hold them"
            : null;

    private const long MaxDeflateRatio = 1100;

    /// <summary>
    /// The first frame's LZW data must be large enough for its pixels: each code (at least 3 bits) yields at most 4,096
    /// pixels, so fewer than <c>pixels * 3 / 32768</c> bytes cannot hold the frame. Checked before the canvas is allocated.
    /// </summary>
    private static string? CheckGif(long length, ReadAt read)
    {
        Span<byte> buffer = stackalloc byte[13];
        if (read(0, buffer) < 13)
        {
            return null;
        }

        var position = 13L;
        if ((buffer[10] & 0x80) != 0)
        {
            position += 3L << ((buffer[10] & 7) + 1); // Global colour table.
        }

        Span<byte> one = stackalloc byte[1];
        Span<byte> descriptor = stackalloc byte[10];
        while (position < length)
        {
            if (read(position, one) < 1)
            {
                return null;
            }

            switch (one[0])
            {
                case 0x21: // Extension: label, then sub-blocks.
                    position = SkipSubBlocks(position + 2, length, read);
                    break;
                case 0x2C: // Image descriptor.
                    if (read(position, descriptor) < 10)
                    {
                        return "the GIF data ends inside an image descriptor";
                    }

                    long width = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[5..]);
                    long height = BinaryPrimitives.ReadUInt16LittleEndian(descriptor[7..]);
                    var data = position + 10;
                    if ((descriptor[9] & 0x80) != 0)
                    {
                        data += 3L << ((descriptor[9] & 7) + 1); // Local colour table.
                    }

                    var available = length - data;
                    return available * 32768 / 3 < width * height
                        ? $"the GIF frame declares {width}x{height} pixels but only {Math.Max(0, available):N0} bytes of image data follow"
                        : null;
                default:
                    return null; // The trailer, or bytes the codec will judge.
            }
        }

        return null;
    }

    private static long SkipSubBlocks(long position, long length, ReadAt read)
    {
        Span<byte> size = stackalloc byte[1];
        while (position < length && read(position, size) == 1 && size[0] != 0)
        {
            position += 1 + size[0];
        }

        return position + 1;
    }

    private static string Fourcc(ReadOnlySpan<byte> chunk)
    {
        Span<char> name = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            var c = (char)chunk[4 + i];
            name[i] = c is >= ' ' and <= '~' ? c : '?';
        }

        return new string(name);
    }
}

/// <summary>What <see cref="ContainerChecks.Inspect"/> found.</summary>
/// <param name="Truncation">Why the file is shorter than its headers declare; null when it is not.</param>
/// <param name="IncompleteIsDamage">Every part of the file is present, so a codec's "incomplete input" means damaged data, not a cut file.</param>
internal readonly record struct ContainerCheck(string? Truncation, bool IncompleteIsDamage);
