using Needle.Hashing;
using Needle.Matching.Lists;
using OpenCvSharp;

namespace Needle.Robust;

/// <summary>
/// Computes robust entries: the global descriptor (<see cref="ImageDescriptorModel"/>) and the ORB keypoints of a
/// picture. Make one per process: it checks at construction that the OpenCV native library loads, so a missing
/// library is a start-up error, not a failure at the first picture. Thread-safe.
/// </summary>
public sealed class RobustFeatureExtractor
{
    /// <summary>An extractor using <paramref name="model"/> (kept, not disposed) and <paramref name="options"/>' keypoint count.</summary>
    /// <exception cref="RobustStartupException">The OpenCV native library cannot be loaded.</exception>
    public RobustFeatureExtractor(ImageDescriptorModel model, RobustMatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Options = options ?? new RobustMatcherOptions();
        try
        {
            _ = Cv2.GetVersionString();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw new RobustStartupException(
                $"the OpenCV native library (libOpenCvSharpExtern.so, from OpenCvSharp4.official.runtime.linux-x64) could not be loaded: {e.GetBaseException().Message}. On Debian it needs libgtk-3-0 (apt-get install -y libgtk-3-0).", e);
        }
    }

    /// <summary>The descriptor model.</summary>
    public ImageDescriptorModel Model { get; }

    /// <summary>The settings (keypoints per picture).</summary>
    public RobustMatcherOptions Options { get; }

    /// <summary>The robust entry of <paramref name="image"/>; null when the picture is too small to describe (under 8 px a side).</summary>
    public RobustFeatures? Extract(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width < 8 || image.Height < 8)
        {
            return null;
        }

        var local = LocalFeatureExtractor.Extract(image, Options.MaxKeypoints);
        return new RobustFeatures(local.Width, local.Height, Model.Describe(image), local.Points, local.Descriptors);
    }
}
