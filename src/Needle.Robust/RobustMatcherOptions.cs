namespace Needle.Robust;

/// <summary>How the robust tier shortlists and verifies.</summary>
public sealed record RobustMatcherOptions
{
    /// <summary>Listed pictures checked per file, the most similar by descriptor first. Default 10.</summary>
    public int ShortlistSize { get; init; } = 10;

    /// <summary>Keypoints found per picture (list entries and queries). Default 500.</summary>
    public int MaxKeypoints { get; init; } = 500;

    /// <summary>
    /// Keypoints the matcher holds per listed picture (the first of its entry's, which lists them spread over the picture
    /// first): fewer cost less memory and a faster check. Default 500 (all of an entry made with the default settings).
    /// </summary>
    public int HeldKeypoints { get; init; } = 500;

    /// <summary>
    /// Shortlisted pictures less similar than this by descriptor (cosine) are not checked geometrically: the check is
    /// most of the tier's cost for a file that matches nothing. Default 0 (every shortlisted picture is checked).
    /// </summary>
    public double MinSimilarity { get; init; }

    /// <summary>Distinct keypoint pairs that must agree with one transform for a match. Default 15.</summary>
    public int MinInliers { get; init; } = 15;

    /// <summary>Largest scale change accepted between the file and the listed picture at the working size (and its inverse the smallest). Default 4.</summary>
    public double MaxScale { get; init; } = 4;

    /// <summary>RANSAC's reprojection limit in pixels at the working size (longer side 512). Default 5.</summary>
    public double RansacThreshold { get; init; } = 5;

    /// <summary>Lowe's ratio: a keypoint pair counts only when its best match is this much closer than its second best. Default 0.8.</summary>
    public double RatioTest { get; init; } = 0.8;

    /// <summary>
    /// The agreeing keypoints must spread over at least this share of the file's picture (their bounding box), so a
    /// small repeated texture cannot make a match. Default 0.02.
    /// </summary>
    public double MinInlierSpread { get; init; } = 0.02;
}
