using System.Runtime.InteropServices;
using Needle.Hashing;
using Needle.Matching.Lists;
using OpenCvSharp;

namespace Needle.Robust;

/// <summary>
/// ORB keypoints and descriptors of a picture scaled so its longer side is <see cref="WorkingSize"/> (copies at any
/// size are compared at one scale). Thread-safe: every call makes its own detector.
/// </summary>
public static class LocalFeatureExtractor
{
    /// <summary>The longer side of the picture the keypoints are found in.</summary>
    public const int WorkingSize = 512;

    // A picture shorter than this at the working scale has no room for ORB's 31-pixel patches.
    private const int MinimumSide = 48;

    private const int FastThreshold = 5;
    private const int GridCells = 8;

    /// <summary>The keypoints of <paramref name="image"/> (mirrored left to right first when <paramref name="mirror"/>); none for a picture too small or too flat.</summary>
    public static LocalFeatures Extract(DecodedImage image, int maxKeypoints, bool mirror = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxKeypoints, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxKeypoints, RobustFeatures.MaxKeypoints);
        var scale = (double)WorkingSize / Math.Max(image.Width, image.Height);
        var width = Math.Max(1, (int)Math.Round(image.Width * scale));
        var height = Math.Max(1, (int)Math.Round(image.Height * scale));
        if (width < MinimumSide || height < MinimumSide)
        {
            return new LocalFeatures(width, height, [], []);
        }

        // OpenCV shrinks the colour picture in place and turns it grey (no managed copy of the full picture).
        using var scaled = PixelMats.Grey(image, width, height);
        if (mirror)
        {
            Cv2.Flip(scaled, scaled, FlipMode.Y);
        }

        // Detect many corners at a low FAST threshold (low-contrast pictures have few at the default), then keep the
        // strongest in every cell of a grid first: strong text or a logo must not take every keypoint from the picture.
        var descriptors = new Mat();
        using var orb = ORB.Create(maxKeypoints, fastThreshold: FastThreshold);
        using var detector = ORB.Create(maxKeypoints * 4, fastThreshold: FastThreshold);
        var keypoints = SpreadOut(detector.Detect(scaled), width, height, maxKeypoints);
        orb.Compute(scaled, ref keypoints, descriptors);
        using var owned = descriptors;
        var count = Math.Min(keypoints.Length, descriptors.Rows);
        if (count == 0 || descriptors.Cols != RobustFeatures.KeypointDescriptorBytes)
        {
            return new LocalFeatures(width, height, [], []);
        }

        var points = new float[count * 2];
        for (var i = 0; i < count; i++)
        {
            points[2 * i] = keypoints[i].Pt.X;
            points[(2 * i) + 1] = keypoints[i].Pt.Y;
        }

        var bytes = new byte[count * RobustFeatures.KeypointDescriptorBytes];
        using (var continuous = descriptors.IsContinuous() ? null : descriptors.Clone())
        {
            Marshal.Copy((continuous ?? descriptors).Data, bytes, 0, bytes.Length);
        }

        return new LocalFeatures(width, height, points, bytes);
    }

    private static KeyPoint[] SpreadOut(KeyPoint[] found, int width, int height, int max)
    {
        if (found.Length <= max)
        {
            return found;
        }

        Array.Sort(found, (a, b) => b.Response.CompareTo(a.Response));
        var quota = (max + (GridCells * GridCells) - 1) / (GridCells * GridCells);
        var perCell = new int[GridCells * GridCells];
        var taken = new bool[found.Length];
        var chosen = new List<KeyPoint>(max);
        for (var i = 0; i < found.Length && chosen.Count < max; i++)
        {
            var cx = Math.Clamp((int)(found[i].Pt.X * GridCells / width), 0, GridCells - 1);
            var cy = Math.Clamp((int)(found[i].Pt.Y * GridCells / height), 0, GridCells - 1);
            if (perCell[(cy * GridCells) + cx]++ < quota)
            {
                chosen.Add(found[i]);
                taken[i] = true;
            }
        }

        for (var i = 0; i < found.Length && chosen.Count < max; i++)
        {
            if (!taken[i])
            {
                chosen.Add(found[i]);
            }
        }

        return [.. chosen];
    }
}
