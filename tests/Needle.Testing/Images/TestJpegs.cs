using SkiaSharp;

namespace Needle.Testing.Images;

/// <summary>JPEGs encoded by SkiaSharp from the shared PDQ test photos (landscapes and objects).</summary>
public static class TestJpegs
{
    /// <summary>The photo <paramref name="name"/> (under the PDQ test vectors' photos/) resized to width x height, as a JPEG.</summary>
    public static byte[] Photo(string name, int width, int height, int quality = 90)
    {
        using var original = SKBitmap.Decode(TestPaths.PdqFile("photos/" + name))
            ?? throw new InvalidOperationException("could not decode " + name);
        using var resized = original.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
            ?? throw new InvalidOperationException("could not resize " + name);
        using var data = resized.Encode(SKEncodedImageFormat.Jpeg, quality) ?? throw new InvalidOperationException("JPEG encoding failed");
        return data.ToArray();
    }
}
