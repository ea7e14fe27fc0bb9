using System.Buffers.Binary;
using SkiaSharp;

namespace Needle.Hashing.Tests;

/// <summary>Builds small images in memory and reads pixels back from a <see cref="DecodedImage"/>.</summary>
internal static class TestImages
{
    public static (int R, int G, int B) Pixel(DecodedImage image, int x, int y)
    {
        var pixels = image.Pixels;
        if (image.Layout == PixelLayout.Gray8)
        {
            int v = pixels[(y * image.Width) + x];
            return (v, v, v);
        }

        var i = ((y * image.Width) + x) * 3;
        return (pixels[i], pixels[i + 1], pixels[i + 2]);
    }

    /// <summary>An RGBA bitmap filled by <paramref name="colour"/>(x, y).</summary>
    public static SKBitmap Bitmap(int width, int height, Func<int, int, SKColor> colour)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, colour(x, y));
            }
        }

        return bitmap;
    }

    /// <summary>A colourful pattern with no two neighbouring pixels alike.</summary>
    public static SKColor Pattern(int x, int y) =>
        new((byte)((x * 7) + (y * 3)), (byte)((x * 5) ^ (y * 11)), (byte)(x + (y * 13)));

    /// <summary>Four flat quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.</summary>
    public static SKColor Quadrants(int x, int y, int width, int height) =>
        (x < width / 2, y < height / 2) switch
        {
            (true, true) => SKColors.Red,
            (false, true) => SKColors.Lime,
            (true, false) => SKColors.Blue,
            _ => SKColors.White,
        };

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 100)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"{format} encoding failed.");
        return data.ToArray();
    }

    public static byte[] EncodeLosslessWebp(SKBitmap bitmap)
    {
        using var pixmap = bitmap.PeekPixels() ?? throw new InvalidOperationException("The bitmap has no pixels.");
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))
            ?? throw new InvalidOperationException("WebP encoding failed.");
        return data.ToArray();
    }

    /// <summary>Inserts an EXIF APP1 segment holding only an Orientation tag right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, // little-endian TIFF header, IFD0 at offset 8
            0x01, 0x00, // one entry
            0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, (byte)orientation, 0x00, 0x00, 0x00, // 0x0112 SHORT x1
            0x00, 0x00, 0x00, 0x00, // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>An uncompressed 24-bit bottom-up BMP.</summary>
    public static byte[] Bmp24(int width, int height, Func<int, int, SKColor> colour)
    {
        var stride = ((width * 3) + 3) & ~3;
        var pixelBytes = stride * height;
        var file = new byte[54 + pixelBytes];
        "BM"u8.CopyTo(file);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(2), file.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(file.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(34), pixelBytes);
        for (var y = 0; y < height; y++)
        {
            var row = 54 + ((height - 1 - y) * stride);
            for (var x = 0; x < width; x++)
            {
                var c = colour(x, y);
                file[row + (x * 3)] = c.Blue;
                file[row + (x * 3) + 1] = c.Green;
                file[row + (x * 3) + 2] = c.Red;
            }
        }

        return file;
    }

    /// <summary>
    /// A GIF87a with a 4-colour palette. The LZW data is written "uncompressed": a clear code before every two pixels
    /// keeps the code size at 3 bits, so no real LZW encoder is needed.
    /// </summary>
    /// <param name="width">Frame width.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="palette">Four colours.</param>
    /// <param name="index">Palette index of frame pixel (x, y).</param>
    /// <param name="canvas">Logical screen size and frame position, when the frame does not cover the whole canvas.</param>
    public static byte[] Gif87(int width, int height, SKColor[] palette, Func<int, int, int> index, (int Width, int Height, int Left, int Top)? canvas = null)
    {
        var (canvasWidth, canvasHeight, left, top) = canvas ?? (width, height, 0, 0);
        using var file = new MemoryStream();
        file.Write("GIF87a"u8);
        Span<byte> header = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)canvasWidth);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)canvasHeight);
        header[4] = 0x80 | 0x01; // global colour table of 2^(1+1) = 4 entries
        file.Write(header);
        for (var i = 0; i < 4; i++)
        {
            var c = palette[i];
            file.Write([c.Red, c.Green, c.Blue]);
        }

        Span<byte> descriptor = stackalloc byte[10];
        descriptor[0] = 0x2C;
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[1..], (ushort)left);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[3..], (ushort)top);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[5..], (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(descriptor[7..], (ushort)height);
        file.Write(descriptor);
        file.WriteByte(2); // LZW minimum code size: clear = 4, end = 5, codes are 3 bits

        var codes = new List<int>();
        var n = 0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (n++ % 2 == 0)
                {
                    codes.Add(4);
                }

                codes.Add(index(x, y));
            }
        }

        codes.Add(5);
        var data = new List<byte>();
        int bitBuffer = 0, bitCount = 0;
        foreach (var code in codes)
        {
            bitBuffer |= code << bitCount;
            bitCount += 3;
            while (bitCount >= 8)
            {
                data.Add((byte)bitBuffer);
                bitBuffer >>= 8;
                bitCount -= 8;
            }
        }

        if (bitCount > 0)
        {
            data.Add((byte)bitBuffer);
        }

        for (var i = 0; i < data.Count; i += 255)
        {
            var block = data.Skip(i).Take(255).ToArray();
            file.WriteByte((byte)block.Length);
            file.Write(block);
        }

        file.WriteByte(0); // end of image data
        file.WriteByte(0x3B); // trailer
        return file.ToArray();
    }

    /// <summary>An ICO file holding one PNG image.</summary>
    public static byte[] IcoWrappingPng(byte[] png, int width, int height)
    {
        var file = new byte[6 + 16 + png.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(2), 1); // type: icon
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(4), 1); // one image
        file[6] = (byte)(width >= 256 ? 0 : width);
        file[7] = (byte)(height >= 256 ? 0 : height);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(10), 1); // planes
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(12), 32); // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(14), png.Length);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(18), 22);
        png.CopyTo(file, 22);
        return file;
    }

    /// <summary>A WBMP (type 0): 1 bit per pixel, 1 = white.</summary>
    public static byte[] Wbmp(int width, int height, Func<int, int, bool> white)
    {
        var stride = (width + 7) / 8;
        var file = new List<byte> { 0, 0, (byte)width, (byte)height };
        for (var y = 0; y < height; y++)
        {
            var row = new byte[stride];
            for (var x = 0; x < width; x++)
            {
                if (white(x, y))
                {
                    row[x / 8] |= (byte)(0x80 >> (x % 8));
                }
            }

            file.AddRange(row);
        }

        return [.. file];
    }
}
