#if NEEDLE_MAGICK
using ImageMagick;
using Needle.Hashing;
#endif
using SkiaSharp;

namespace Needle.Testing.Images;

/// <summary>Frames made from the shared photos, all of one size, for animated GIF/WebP tests.</summary>
public static class TestAnimations
{
    /// <summary>The shared photos used as frames, in order.</summary>
    public static readonly string[] Photos =
        ["p01_keong_macan.png", "p03_flower.png", "p08_video_frame.png", "p15_city_pano.png", "p28_raccoon.png"];

    /// <summary>Each photo stretched to <paramref name="width"/> x <paramref name="height"/>, as unpremultiplied RGBA.</summary>
    public static byte[][] Frames(int width = 240, int height = 160) =>
        [.. Photos.Select(photo => Rgba(photo, width, height))];

    /// <summary>One photo stretched to the frame size, as unpremultiplied opaque RGBA.</summary>
    public static byte[] Rgba(string photo, int width = 240, int height = 160)
    {
        using var source = SKBitmap.Decode(TestPaths.PdqFile(Path.Combine("photos", photo)));
        using var frame = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(frame))
        {
            canvas.Clear(SKColors.Black);
            using var image = SKImage.FromBitmap(source);
            canvas.DrawImage(image, new SKRect(0, 0, width, height), new SKSamplingOptions(SKFilterMode.Linear));
        }

        return frame.Bytes;
    }

    /// <summary>RGBA pixels as a PNG (the still twin of a frame).</summary>
    public static byte[] Png(byte[] rgba, int width = 240, int height = 160)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

#if NEEDLE_MAGICK

    /// <summary>
    /// An animation of <paramref name="frames"/> (RGBA, all <paramref name="width"/> x <paramref name="height"/>),
    /// each shown 100 ms, written by Magick.NET as GIF or WebP (lossless).
    /// </summary>
    public static byte[] Write(MagickFormat format, byte[][] frames, int width = 240, int height = 160)
    {
        // Needle's coder policy must be ImageMagick's first initialisation in the process.
        if (!ImageDecoder.SecondDecoderAvailable)
        {
            throw new InvalidOperationException("Needle's second decoder is not available.");
        }

        using var collection = new MagickImageCollection();
        foreach (var rgba in frames)
        {
            // From raw pixels (ImageMagick's constitute, no coder): the XC and RGBA coders are denied by the policy.
            var image = new MagickImage();
            image.ReadPixels(rgba, new PixelReadSettings((uint)width, (uint)height, StorageType.Char, PixelMapping.RGBA));
            image.AnimationDelay = 10;
            image.AnimationTicksPerSecond = 100;
            image.GifDisposeMethod = GifDisposeMethod.None;
            if (format == MagickFormat.WebP)
            {
                image.Settings.SetDefine(MagickFormat.WebP, "lossless", true);
            }

            collection.Add(image);
        }

        return collection.ToByteArray(format);
    }
#endif
}
