using Needle.Hashing;
using OpenCvSharp;

namespace Needle.Robust;

/// <summary>Decoded pixels handed to OpenCV in place (pinned, not copied): resized and turned grey by its SIMD code.</summary>
internal static class PixelMats
{
    /// <summary>The picture at <paramref name="width"/> x <paramref name="height"/> (area-averaged when shrinking), with its own channels (1 or 3).</summary>
    public static unsafe Mat Resize(DecodedImage image, int width, int height)
    {
        var resized = new Mat();
        fixed (byte* pixels = image.Pixels)
        {
            using var source = Mat.FromPixelData(image.Height, image.Width, image.Layout == PixelLayout.Gray8 ? MatType.CV_8UC1 : MatType.CV_8UC3, (IntPtr)pixels);
            Cv2.Resize(source, resized, new Size(width, height), 0, 0, Interpolation(image, width, height));
        }

        return resized;
    }

    /// <summary>The picture in grey levels at <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static unsafe Mat Grey(DecodedImage image, int width, int height)
    {
        var grey = new Mat();
        fixed (byte* pixels = image.Pixels)
        {
            if (image.Layout == PixelLayout.Gray8)
            {
                using var source = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC1, (IntPtr)pixels);
                Cv2.Resize(source, grey, new Size(width, height), 0, 0, Interpolation(image, width, height));
                return grey;
            }

            // Shrink the colour picture first, then turn the few remaining pixels grey.
            using var colour = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC3, (IntPtr)pixels);
            if (width == image.Width && height == image.Height)
            {
                Cv2.CvtColor(colour, grey, ColorConversionCodes.RGB2GRAY);
                return grey;
            }

            using var resized = new Mat();
            Cv2.Resize(colour, resized, new Size(width, height), 0, 0, Interpolation(image, width, height));
            Cv2.CvtColor(resized, grey, ColorConversionCodes.RGB2GRAY);
            return grey;
        }
    }

    private static InterpolationFlags Interpolation(DecodedImage image, int width, int height) =>
        width < image.Width || height < image.Height ? InterpolationFlags.Area : InterpolationFlags.Linear;
}
