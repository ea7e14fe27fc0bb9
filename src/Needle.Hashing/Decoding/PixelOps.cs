using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Needle.Hashing.Decoding;

/// <summary>Span loops over 8-bit RGBA pixels: grey test and conversion to RGB or grey, vectorised where it pays.</summary>
internal static class PixelOps
{
    /// <summary>True when every RGBA pixel has R = G = B (alpha is ignored).</summary>
    public static bool IsGrey(ReadOnlySpan<byte> rgba)
    {
        var pixels = MemoryMarshal.Cast<byte, uint>(rgba);
        var i = 0;
        if (BitConverter.IsLittleEndian)
        {
            // As a little-endian uint a pixel is A<<24 | B<<16 | G<<8 | R, so (p ^ p >> 8) & 0xFFFF is (G^B)<<8 | (R^G):
            // zero exactly when R = G = B.
            ref var start = ref MemoryMarshal.GetReference(pixels);
            if (Vector256.IsHardwareAccelerated)
            {
                var mask = Vector256.Create(0xFFFFu);
                for (; i <= pixels.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
                {
                    var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                    if (((v ^ Vector256.ShiftRightLogical(v, 8)) & mask) != Vector256<uint>.Zero)
                    {
                        return false;
                    }
                }
            }
            else if (Vector128.IsHardwareAccelerated)
            {
                var mask = Vector128.Create(0xFFFFu);
                for (; i <= pixels.Length - Vector128<uint>.Count; i += Vector128<uint>.Count)
                {
                    var v = Vector128.LoadUnsafe(ref start, (nuint)i);
                    if (((v ^ Vector128.ShiftRightLogical(v, 8)) & mask) != Vector128<uint>.Zero)
                    {
                        return false;
                    }
                }
            }
        }

        for (var p = i * 4; p < rgba.Length; p += 4)
        {
            if (rgba[p] != rgba[p + 1] || rgba[p + 1] != rgba[p + 2])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Composites unpremultiplied RGBA over mid-grey (128) in place, leaving every pixel opaque (for display).</summary>
    public static void FlattenOverGrey(Span<byte> rgba)
    {
        for (var i = 0; i + 3 < rgba.Length; i += 4)
        {
            int a = rgba[i + 3];
            if (a == 255)
            {
                continue;
            }

            var inverse = 255 - a;
            rgba[i] = (byte)(((rgba[i] * a) + (128 * inverse) + 127) / 255);
            rgba[i + 1] = (byte)(((rgba[i + 1] * a) + (128 * inverse) + 127) / 255);
            rgba[i + 2] = (byte)(((rgba[i + 2] * a) + (128 * inverse) + 127) / 255);
            rgba[i + 3] = 255;
        }
    }

    /// <summary>
    /// Drops alpha: writes R, G, B of each pixel of <paramref name="rgba"/> to <paramref name="rgb"/>. Works in place
    /// (both spans starting at the same byte), because each write lands at or before the bytes still to be read.
    /// </summary>
    public static void RgbaToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb)
    {
        var pixelCount = rgba.Length / 4;
        if (rgb.Length < pixelCount * 3)
        {
            throw new ArgumentException("The RGB span is too small.", nameof(rgb));
        }

        var done = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            // 4 pixels in, 12 bytes out; the store writes 16 bytes, so stop while 4 spare bytes remain in the output.
            ref var src = ref MemoryMarshal.GetReference(rgba);
            ref var dst = ref MemoryMarshal.GetReference(rgb);
            var dropAlpha = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0x80, 0x80, 0x80, 0x80);
            var vectorPixels = Math.Min(pixelCount, (rgb.Length - 4) / 3) & ~3;
            for (; done < vectorPixels; done += 4)
            {
                var v = Vector128.LoadUnsafe(ref src, (nuint)(done * 4));
                Vector128.Shuffle(v, dropAlpha).StoreUnsafe(ref dst, (nuint)(done * 3));
            }
        }

        for (var p = done; p < pixelCount; p++)
        {
            rgb[p * 3] = rgba[p * 4];
            rgb[(p * 3) + 1] = rgba[(p * 4) + 1];
            rgb[(p * 3) + 2] = rgba[(p * 4) + 2];
        }
    }

    /// <summary>Keeps the red sample of each RGBA pixel (the grey level when R = G = B). Works in place.</summary>
    public static void RgbaToGrey(ReadOnlySpan<byte> rgba, Span<byte> grey)
    {
        var pixelCount = rgba.Length / 4;
        if (grey.Length < pixelCount)
        {
            throw new ArgumentException("The grey span is too small.", nameof(grey));
        }

        var done = 0;
        if (Vector128.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            // 16 pixels per step: mask to the low byte of each uint, then narrow uint -> ushort -> byte.
            var pixels = MemoryMarshal.Cast<byte, uint>(rgba);
            ref var src = ref MemoryMarshal.GetReference(pixels);
            ref var dst = ref MemoryMarshal.GetReference(grey);
            var low = Vector128.Create(0xFFu);
            for (; done <= pixelCount - 16; done += 16)
            {
                var a = Vector128.LoadUnsafe(ref src, (nuint)done) & low;
                var b = Vector128.LoadUnsafe(ref src, (nuint)done + 4) & low;
                var c = Vector128.LoadUnsafe(ref src, (nuint)done + 8) & low;
                var d = Vector128.LoadUnsafe(ref src, (nuint)done + 12) & low;
                Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).StoreUnsafe(ref dst, (nuint)done);
            }
        }

        for (var p = done; p < pixelCount; p++)
        {
            grey[p] = rgba[p * 4];
        }
    }

    /// <summary>Turns <paramref name="pixelCount"/> RGB pixels with R = G = B into grey levels, in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RgbToGreyInPlace(Span<byte> buffer, int pixelCount)
    {
        for (var p = 0; p < pixelCount; p++)
        {
            buffer[p] = buffer[p * 3];
        }
    }
}
