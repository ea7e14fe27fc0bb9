using SkiaSharp;

namespace Needle.Server.Web;

/// <summary>
/// Makes the only pictures the review pages ever send: small thumbnails, downscaled, blurred and (by default) greyscale
/// here on the server, so the pixels of an unrevealed file never reach the browser; and the revealed view, still
/// downscaled, without the blur.
/// </summary>
internal static class ProtectedImages
{
    /// <summary>Longest side of a revealed image.</summary>
    public const int RevealSize = 720;

    /// <summary>A blurred thumbnail as PNG (lossless, so greyscale stays exactly grey); null when the media is not a decodable image.</summary>
    public static byte[]? Thumbnail(byte[] media, int maxSide, int blurSigma, bool greyscale) =>
        Render(media, maxSide, blurSigma, greyscale, SKEncodedImageFormat.Png, 100);

    /// <summary>The revealed image as JPEG: downscaled, not blurred, greyscale when the reviewer chose it.</summary>
    public static byte[]? Reveal(byte[] media, bool greyscale) =>
        Render(media, RevealSize, 0, greyscale, SKEncodedImageFormat.Jpeg, 85);

    private static byte[]? Render(byte[] media, int maxSide, int blurSigma, bool greyscale, SKEncodedImageFormat format, int quality)
    {
        using var original = DecodeAtLeast(media, maxSide);
        if (original is null || original.Width == 0 || original.Height == 0)
        {
            return null;
        }

        var scale = Math.Min(1.0, maxSide / (double)Math.Max(original.Width, original.Height));
        var width = Math.Max(1, (int)Math.Round(original.Width * scale));
        var height = Math.Max(1, (int)Math.Round(original.Height * scale));
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);

        // Downscale first, then blur at the size shown: the blur strength means the same at every thumbnail size.
        using var small = original.Resize(info, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        if (small is null)
        {
            return null;
        }

        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(new SKColor(0x80, 0x80, 0x80));
        using var paint = new SKPaint();
        if (greyscale)
        {
            paint.ColorFilter = SKColorFilter.CreateColorMatrix(LumaMatrix);
        }

        if (blurSigma > 0)
        {
            paint.ImageFilter = SKImageFilter.CreateBlur(blurSigma, blurSigma, SKShaderTileMode.Clamp);
        }

        using var image = SKImage.FromBitmap(small);
        canvas.DrawImage(image, 0, 0, paint);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(format, quality);
        return data?.ToArray();
    }

    /// <summary>
    /// Decodes at the smallest size the codec can produce directly (JPEG decodes at 1/2, 1/4, 1/8 for almost nothing)
    /// whose longest side is still at least <paramref name="maxSide"/>; other formats decode at full size.
    /// </summary>
    private static SKBitmap? DecodeAtLeast(byte[] media, int maxSide)
    {
        using var data = SKData.CreateCopy(media);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return null;
        }

        var full = codec.Info;
        var longest = Math.Max(full.Width, full.Height);
        var size = full.Size;
        if (longest > maxSide)
        {
            var scaled = codec.GetScaledDimensions(maxSide / (float)longest);
            if (Math.Max(scaled.Width, scaled.Height) >= maxSide)
            {
                size = scaled;
            }
        }

        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is SKCodecResult.Success or SKCodecResult.IncompleteInput)
        {
            return bitmap;
        }

        bitmap.Dispose();
        return size == full.Size ? null : SKBitmap.Decode(media);
    }

    // Rec. 709 luma into each of R, G and B, alpha kept.
    private static readonly float[] LumaMatrix =
    [
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0, 0, 0, 1, 0,
    ];
}
