using System.Runtime.InteropServices;
using Needle.Hashing;
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

    /// <summary>
    /// A blurred thumbnail as PNG (lossless, so greyscale stays exactly grey), decoded by <paramref name="decoder"/>
    /// with the hasher's limits (file size, dimensions, truncation, time-out, memory budget) at reduced size.
    /// </summary>
    public static Rendered Thumbnail(ImageDecoder decoder, byte[] media, int maxSide, int blurSigma, bool greyscale, CancellationToken cancellationToken) =>
        Render(decoder, media, maxSide, blurSigma, greyscale, SKEncodedImageFormat.Png, 100, cancellationToken);

    /// <summary>The revealed image as JPEG: downscaled, not blurred, greyscale when the reviewer chose it; same limits as <see cref="Thumbnail"/>.</summary>
    public static Rendered Reveal(ImageDecoder decoder, byte[] media, bool greyscale, CancellationToken cancellationToken) =>
        Render(decoder, media, RevealSize, 0, greyscale, SKEncodedImageFormat.Jpeg, 85, cancellationToken);

    /// <summary>The words shown for a file that cannot be shown: a short reason, no paths.</summary>
    public static string CannotBeShown(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "cannot be shown" : "cannot be shown: " + Shorten(reason);

    private static string Shorten(string reason) => reason.Length <= 200 ? reason : reason[..197] + "...";

    private static Rendered Render(ImageDecoder decoder, byte[] media, int maxSide, int blurSigma, bool greyscale,
        SKEncodedImageFormat format, int quality, CancellationToken cancellationToken)
    {
        DecodedImage decoded;
        try
        {
            // No name: the reason must not carry one (the page shows it as it is).
            decoded = decoder.DecodeForDisplay(media, maxSide, nameForErrors: null, cancellationToken);
        }
        catch (ImageDecodeException e)
        {
            return new Rendered(null, e.Reason);
        }

        using (decoded)
        {
            var width = decoded.Width;
            var height = decoded.Height;
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            using var small = new SKBitmap(info);
            var rgb = decoded.Pixels;
            var rgba = new byte[width * height * 4];
            for (int i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
            {
                rgba[j] = rgb[i];
                rgba[j + 1] = rgb[i + 1];
                rgba[j + 2] = rgb[i + 2];
                rgba[j + 3] = 255;
            }

            Marshal.Copy(rgba, 0, small.GetPixels(), rgba.Length);

            // Blurred at the size shown: the blur strength means the same at every thumbnail size.
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
            return data is null ? new Rendered(null, "the picture could not be encoded") : new Rendered(data.ToArray(), null);
        }
    }

    // Rec. 709 luma into each of R, G and B, alpha kept.
    private static readonly float[] LumaMatrix =
    [
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0.2126f, 0.7152f, 0.0722f, 0, 0,
        0, 0, 0, 1, 0,
    ];

    /// <summary>The encoded picture, or why there is none.</summary>
    /// <param name="Image">The picture's bytes; null when refused.</param>
    /// <param name="Refusal">Why the picture cannot be shown (the decoder's reason, no path); null when there is a picture.</param>
    internal readonly record struct Rendered(byte[]? Image, string? Refusal);
}
