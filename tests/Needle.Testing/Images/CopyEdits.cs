using SkiaSharp;

namespace Needle.Testing.Images;

/// <summary>
/// The edits that copies of a picture pick up on their way around (issue 15's transforms), made with SkiaSharp from any
/// decodable image and returned as encoded files: crops, small rotations, mirrors, frames, screenshots with text bands,
/// watermarks, recompression, resizing, greyscale and gamma.
/// </summary>
public static class CopyEdits
{
    /// <summary>The edit names, in the order of the goals.</summary>
    public static IReadOnlyList<string> All { get; } =
        ["crop10", "rotate5", "mirror", "watermark", "blackframe10", "screenshot", "jpeg50", "half", "grey", "gamma"];

    /// <summary>
    /// Small rotations both ways, as is and mirrored first (<c>rotateN</c>: turned N degrees anticlockwise on a larger
    /// black canvas, negative N clockwise; <c>mirror-rotateN</c>: mirrored left to right, then turned).
    /// </summary>
    public static IReadOnlyList<string> Rotations { get; } =
    [
        .. ((int[])[1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 10, -10]).Select(d => $"rotate{d}"),
        .. ((int[])[1, -1, 2, -2, 3, -3, 5, -5, 7, -7, 10, -10]).Select(d => $"mirror-rotate{d}"),
    ];

    /// <summary>The edit <paramref name="name"/> applied to <paramref name="file"/>'s picture, as PNG (JPEG for jpeg50).</summary>
    public static byte[] Apply(string name, byte[] file)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("mirror-rotate", StringComparison.Ordinal))
        {
            return Apply(name["mirror-".Length..], Apply("mirror", file));
        }

        using var source = SKBitmap.Decode(file) ?? throw new ArgumentException("not a decodable image", nameof(file));
        if (name.StartsWith("rotate", StringComparison.Ordinal) &&
            int.TryParse(name.AsSpan("rotate".Length), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var degrees))
        {
            return Rotate(source, degrees);
        }

        int w = source.Width, h = source.Height;
        return name switch
        {
            "crop10" => Draw((int)(w * 0.9), (int)(h * 0.9), c => c.DrawBitmap(source, -(int)(w * 0.05), -(int)(h * 0.05))),
            "mirror" => Draw(w, h, c =>
            {
                c.Scale(-1, 1, w / 2f, 0);
                c.DrawBitmap(source, 0, 0);
            }),
            "watermark" => Draw(w, h, c =>
            {
                c.DrawBitmap(source, 0, 0);
                using var paint = new SKPaint { Color = new SKColor(255, 255, 255, 110), IsAntialias = true };
                var size = Math.Max(6, Math.Min(w, h) / 8f);
                c.DrawCircle(w - (size * 1.2f), h - (size * 1.2f), size * 0.8f, paint);
                TextBlocks(c, w * 0.05f, h - (size * 1.6f), w * 0.55f, size * 0.7f, new SKColor(255, 255, 255, 110), 7);
            }),
            "blackframe10" => Draw(w + (2 * (int)(w * 0.1)), h + (2 * (int)(h * 0.1)), c =>
            {
                c.Clear(SKColors.Black);
                c.DrawBitmap(source, (int)(w * 0.1), (int)(h * 0.1));
            }),
            "screenshot" => Screenshot(source),
            "jpeg50" => Encode(source, SKEncodedImageFormat.Jpeg, 50),
            "half" => Draw(Math.Max(1, w / 2), Math.Max(1, h / 2), c =>
            {
                using var image = SKImage.FromBitmap(source);
                c.DrawImage(image, new SKRect(0, 0, Math.Max(1, w / 2), Math.Max(1, h / 2)), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            }),
            "grey" => Map(source, (r, g, b) => { var y = (byte)((r * 0.299) + (g * 0.587) + (b * 0.114)); return (y, y, y); }),
            "gamma" => Map(source, (r, g, b) => (Gamma(r), Gamma(g), Gamma(b))),
            _ => throw new ArgumentException($"unknown edit '{name}'", nameof(name)),
        };
    }

    private static byte Gamma(byte v) => (byte)Math.Round(255 * Math.Pow(v / 255.0, 1 / 1.5));

    private static byte[] Rotate(SKBitmap source, float degrees)
    {
        var radians = Math.Abs(degrees) * Math.PI / 180;
        var w = (int)Math.Ceiling((source.Width * Math.Cos(radians)) + (source.Height * Math.Sin(radians)));
        var h = (int)Math.Ceiling((source.Width * Math.Sin(radians)) + (source.Height * Math.Cos(radians)));
        return Draw(w, h, c =>
        {
            c.Clear(SKColors.Black);
            c.Translate(w / 2f, h / 2f);
            c.RotateDegrees(-degrees);
            using var image = SKImage.FromBitmap(source);
            c.DrawImage(image, new SKRect(-source.Width / 2f, -source.Height / 2f, source.Width / 2f, source.Height / 2f), new SKSamplingOptions(SKFilterMode.Linear), null);
        });
    }

    /// <summary>A phone screenshot of a post: white bands of text-like lines above and below the picture.</summary>
    private static byte[] Screenshot(SKBitmap source)
    {
        var w = source.Width;
        var band = Math.Max(12, source.Height / 4);
        return Draw(w, source.Height + (2 * band), c =>
        {
            c.Clear(SKColors.White);
            c.DrawBitmap(source, 0, band);
            var line = Math.Max(3, band / 6f);
            TextBlocks(c, w * 0.04f, line, w * 0.8f, line, new SKColor(30, 30, 30), 11);
            TextBlocks(c, w * 0.04f, line * 3, w * 0.6f, line, new SKColor(90, 90, 90), 12);
            TextBlocks(c, w * 0.04f, band + source.Height + line, w * 0.9f, line, new SKColor(30, 30, 30), 13);
            TextBlocks(c, w * 0.04f, band + source.Height + (line * 3), w * 0.5f, line, new SKColor(30, 30, 30), 14);
        });
    }

    /// <summary>A row of word-like blocks (fonts are not needed, and are not on every machine).</summary>
    private static void TextBlocks(SKCanvas canvas, float x, float y, float length, float height, SKColor color, int seed)
    {
        var random = new Random(seed);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        var end = x + length;
        while (x < end)
        {
            var word = (float)(height * (1.5 + (random.NextDouble() * 3)));
            canvas.DrawRect(x, y, Math.Min(word, end - x), height, paint);
            x += word + (height * 0.8f);
        }
    }

    private static byte[] Map(SKBitmap source, Func<byte, byte, byte, (byte R, byte G, byte B)> map)
    {
        using var copy = new SKBitmap(source.Width, source.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (var y = 0; y < source.Height; y++)
        {
            for (var x = 0; x < source.Width; x++)
            {
                var p = source.GetPixel(x, y);
                var (r, g, b) = map(p.Red, p.Green, p.Blue);
                copy.SetPixel(x, y, new SKColor(r, g, b, 255));
            }
        }

        return Encode(copy, SKEncodedImageFormat.Png, 100);
    }

    private static byte[] Draw(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.Black);
        draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }
}
