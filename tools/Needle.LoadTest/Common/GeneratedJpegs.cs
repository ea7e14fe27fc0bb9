using SkiaSharp;

namespace Needle.LoadTest.Common;

/// <summary>The benign pictures the <c>serve</c> and <c>workers</c> harnesses post.</summary>
internal static class GeneratedJpegs
{
    /// <summary>
    /// Distinct benign JPEGs, 50-200 KB: random shapes on a gradient with a little noise (so every PDQ hash differs
    /// and the file does not compress away), generated on all cores, the same for the same seed.
    /// </summary>
    public static byte[][] Generate(int count, int seed, int width = 640, int height = 480)
    {
        var images = new byte[count][];
        Parallel.For(0, count, i => images[i] = GenerateOne(seed, i, width, height));
        return images;
    }

    /// <summary>One of the pictures; smaller sizes (the flood's backlog) keep the same look, with fewer bytes.</summary>
    public static byte[] GenerateOne(int seed, int index, int width = 640, int height = 480)
    {
        var rng = new Random(unchecked((seed * 1_000_003) + index)); // not HashCode.Combine: randomised per process
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint();
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                [RandomColor(rng), RandomColor(rng)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, background);
            using var paint = new SKPaint { IsAntialias = true };
            for (var s = 0; s < 30; s++)
            {
                paint.Color = RandomColor(rng);
                var x = rng.Next(width);
                var y = rng.Next(height);
                var w = rng.Next(width / 32, width * 3 / 8);
                var h = rng.Next(height / 24, height / 2);
                if (rng.Next(2) == 0)
                {
                    canvas.DrawRect(x, y, w, h, paint);
                }
                else
                {
                    canvas.DrawOval(x, y, w / 2f, h / 2f, paint);
                }
            }
        }

        // Noise of a random amplitude: distinct bytes, and JPEGs of about 55-200 KB at quality 90.
        var pixels = bitmap.GetPixelSpan().ToArray();
        var noise = new byte[pixels.Length];
        rng.NextBytes(noise);
        var amplitude = rng.Next(16, 96);
        for (var i = 0; i < pixels.Length; i++)
        {
            if ((i & 3) != 3)
            {
                pixels[i] = (byte)Math.Clamp(pixels[i] + (noise[i] % amplitude) - (amplitude / 2), 0, 255);
            }
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private static SKColor RandomColor(Random rng) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
}
