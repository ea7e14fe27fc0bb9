using SkiaSharp;

namespace Needle.Testing.Images;

/// <summary>Benign images generated with SkiaSharp (coloured shapes on a gradient), and resized or recompressed copies of them.</summary>
public static class TestImages
{
    /// <summary>A PNG of coloured circles and rectangles on a gradient, the same for the same <paramref name="seed"/>.</summary>
    public static byte[] Generated(int seed, int width = 480, int height = 360)
    {
        var random = new Random(seed);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        using (var background = new SKPaint())
        {
            background.Shader = SKShader.CreateLinearGradient(
                new SKPoint(0, 0), new SKPoint(width, height), [RandomColor(random), RandomColor(random)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, width, height, background);
        }

        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < 24; i++)
        {
            paint.Color = RandomColor(random);
            var x = (float)(random.NextDouble() * width);
            var y = (float)(random.NextDouble() * height);
            var size = (float)(10 + (random.NextDouble() * width / 4));
            if (i % 2 == 0)
            {
                canvas.DrawCircle(x, y, size / 2, paint);
            }
            else
            {
                canvas.DrawRect(x, y, size, size * (float)(0.3 + random.NextDouble()), paint);
            }
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The image scaled to <paramref name="width"/> x <paramref name="height"/> and saved as a JPEG: a near-duplicate with other bytes.</summary>
    public static byte[] Resized(byte[] image, int width, int height, int quality = 80)
    {
        using var original = SKBitmap.Decode(image) ?? throw new InvalidOperationException("could not decode the image");
        using var resized = original.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidOperationException("could not resize the image");
        using var data = resized.Encode(SKEncodedImageFormat.Jpeg, quality) ?? throw new InvalidOperationException("JPEG encoding failed");
        return data.ToArray();
    }

    private static SKColor RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
