using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Robust;

/// <summary>
/// Computes robust entries: the global descriptor (<see cref="ImageDescriptorModel"/>) and the ORB keypoints of a
/// picture. Make one per process. It checks at construction that the OpenCV native library is where the application
/// looks for it (loading it then only when it is not, to say so at start-up); the library itself loads with the
/// model's sessions, on the first picture. Thread-safe.
/// </summary>
public sealed class RobustFeatureExtractor
{
    /// <summary>An extractor using <paramref name="model"/> (kept, not disposed) and <paramref name="options"/>' keypoint count.</summary>
    /// <exception cref="RobustStartupException">The OpenCV native library cannot be found or loaded.</exception>
    public RobustFeatureExtractor(ImageDescriptorModel model, RobustMatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Options = options ?? new RobustMatcherOptions();
        if (!OpenCvLibrary.IsInProbedFolder())
        {
            OpenCvLibrary.Load();
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

        // The descriptor first: it loads the model and OpenCV on the first picture.
        var descriptor = Model.Describe(image);
        var local = LocalFeatureExtractor.Extract(image, Options.MaxKeypoints);
        return new RobustFeatures(local.Width, local.Height, descriptor, local.Points, local.Descriptors, Model.ModelId);
    }
}
