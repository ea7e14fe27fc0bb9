using Needle.Matching.Lists;
using OpenCvSharp;

namespace Needle.Robust;

/// <summary>
/// Checks that a file shows a listed picture: its ORB keypoints are matched to the listed ones (Lowe's ratio test),
/// RANSAC fits a similarity transform (rotation, uniform scale, shift: no shear by construction), and the match holds
/// only when enough distinct keypoint pairs agree, spread over the picture, at a sane scale.
/// </summary>
public static class GeometricVerifier
{
    /// <summary>What agrees between <paramref name="query"/> and <paramref name="listed"/>; null when they are not the same picture.</summary>
    public static RobustMatchDetails? Verify(LocalFeatures query, RobustFeatures listed, RobustMatcherOptions options, bool queryMirrored, double similarity)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(listed);
        ArgumentNullException.ThrowIfNull(options);
        return Verify(query, listed.Width, listed.Height, listed.KeypointCount, listed.KeypointDescriptors, listed.Points, null, options, queryMirrored, similarity);
    }

    /// <summary>As the public overload, for a listed picture's keypoints as the matcher holds them.</summary>
    internal static RobustMatchDetails? Verify(LocalFeatures query, HeldKeypoints listed, RobustMatcherOptions options, bool queryMirrored, double similarity) =>
        Verify(query, listed.Width, listed.Height, listed.Count, listed.Descriptors, null, listed, options, queryMirrored, similarity);

    // The listed positions come as floats (an entry) or packed (held by the matcher).
    private static RobustMatchDetails? Verify(
        LocalFeatures query, int listedWidth, int listedHeight, int listedCount, byte[] listedKeypointDescriptors, float[]? listedPoints, HeldKeypoints? held,
        RobustMatcherOptions options, bool queryMirrored, double similarity)
    {
        if (query.Count < options.MinInliers || listedCount < options.MinInliers)
        {
            return null;
        }

        Span<int> nearest = query.Count <= RobustFeatures.MaxKeypoints ? stackalloc int[query.Count] : new int[query.Count];
        Span<int> best = query.Count <= RobustFeatures.MaxKeypoints ? stackalloc int[query.Count] : new int[query.Count];
        Span<int> second = query.Count <= RobustFeatures.MaxKeypoints ? stackalloc int[query.Count] : new int[query.Count];
        KeypointMatcher.NearestTwo(query.Descriptors, query.Count, listedKeypointDescriptors, listedCount, nearest, best, second);
        var from = new List<Point2f>(query.Count);
        var to = new List<Point2f>(query.Count);
        for (var i = 0; i < query.Count; i++)
        {
            // Lowe's ratio test, skipped (as OpenCV's two-nearest match leaves it) when only one listed keypoint exists.
            if (nearest[i] < 0 || (second[i] != int.MaxValue && best[i] >= options.RatioTest * second[i]))
            {
                continue;
            }

            var t = nearest[i];
            from.Add(listedPoints is not null
                ? new Point2f(listedPoints[2 * t], listedPoints[(2 * t) + 1])
                : new Point2f(held!.X(t), held.Y(t)));
            to.Add(new Point2f(query.Points[2 * i], query.Points[(2 * i) + 1]));
        }

        // Exact pre-check before RANSAC (its iterations are most of a failing check): the inliers are a subset of these
        // pairs, so when all of them together have too few distinct spots on either side, or spread over too small a
        // box, no transform can pass the checks below.
        if (from.Count < options.MinInliers || !CanPass(from, to, query, options))
        {
            return null;
        }

        using var inlierMask = new Mat();
        using var model = Cv2.EstimateAffinePartial2D(
            InputArray.Create(from), InputArray.Create(to), inlierMask, RobustEstimationAlgorithms.RANSAC, options.RansacThreshold, 4000, 0.995, 10);
        if (model is null || model.Empty() || inlierMask.Empty())
        {
            return null;
        }

        if (!PassesInlierChecks(from, to, inlierMask, query, options, out var inliers))
        {
            return null;
        }

        double a = model.At<double>(0, 0), b = model.At<double>(1, 0), tx = model.At<double>(0, 2), ty = model.At<double>(1, 2);
        var scale = Math.Sqrt((a * a) + (b * b));
        if (!double.IsFinite(scale) || scale > options.MaxScale || scale < 1 / options.MaxScale)
        {
            return null;
        }

        // The model maps listed points to the file's (y down); the file's corners mapped back give the part of the
        // listed picture it shows.
        var cos = a / scale;
        var sin = b / scale;
        double left = double.MaxValue, top = double.MaxValue, right = double.MinValue, bottom = double.MinValue;
        foreach (var (x, y) in (ReadOnlySpan<(double, double)>)[(0, 0), (query.Width, 0), (0, query.Height), (query.Width, query.Height)])
        {
            var dx = (x - tx) / scale;
            var dy = (y - ty) / scale;
            var lx = (cos * dx) + (sin * dy);
            var ly = (-sin * dx) + (cos * dy);
            left = Math.Min(left, lx);
            right = Math.Max(right, lx);
            top = Math.Min(top, ly);
            bottom = Math.Max(bottom, ly);
        }

        left = Math.Clamp(left, 0, listedWidth);
        right = Math.Clamp(right, 0, listedWidth);
        top = Math.Clamp(top, 0, listedHeight);
        bottom = Math.Clamp(bottom, 0, listedHeight);
        return new RobustMatchDetails(
            inliers,
            Math.Round(Math.Atan2(-b, a) * 180 / Math.PI, 2),
            Math.Round(scale, 4),
            queryMirrored,
            Math.Round(left / listedWidth, 4),
            Math.Round(top / listedHeight, 4),
            Math.Round((right - left) / listedWidth, 4),
            Math.Round((bottom - top) / listedHeight, 4),
            Math.Round(similarity, 4));
    }

    // The checks made on the inliers, made on every ratio-test pair: an upper bound, so false means no match.
    private static bool CanPass(List<Point2f> from, List<Point2f> to, LocalFeatures query, RobustMatcherOptions options) =>
        PassesInlierChecks(from, to, inlierMask: null, query, options, out _);

    // Enough distinct inliers, spread over enough of the query. Distinct on both sides: several keypoints at one spot
    // (ORB's scale pyramid) or many onto one listed point count once. A null mask takes every pair.
    private static bool PassesInlierChecks(
        List<Point2f> from, List<Point2f> to, Mat? inlierMask, LocalFeatures query, RobustMatcherOptions options, out int inliers)
    {
        var queryPoints = new HashSet<(int, int)>(to.Count);
        var listedSpots = new HashSet<(int, int)>(from.Count);
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        for (var i = 0; i < from.Count; i++)
        {
            if (inlierMask is not null && inlierMask.At<byte>(i) == 0)
            {
                continue;
            }

            queryPoints.Add(((int)MathF.Round(to[i].X), (int)MathF.Round(to[i].Y)));
            listedSpots.Add(((int)MathF.Round(from[i].X), (int)MathF.Round(from[i].Y)));
            minX = Math.Min(minX, to[i].X);
            maxX = Math.Max(maxX, to[i].X);
            minY = Math.Min(minY, to[i].Y);
            maxY = Math.Max(maxY, to[i].Y);
        }

        inliers = Math.Min(queryPoints.Count, listedSpots.Count);
        return inliers >= options.MinInliers && (maxX - minX) * (maxY - minY) >= options.MinInlierSpread * query.Width * query.Height;
    }
}
