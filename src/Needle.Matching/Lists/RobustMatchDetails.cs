namespace Needle.Matching.Lists;

/// <summary>What the robust tier measured for one match: how many local features agree and how the file sits in the listed picture.</summary>
/// <param name="Inliers">Distinct keypoint pairs that agree with the estimated transform.</param>
/// <param name="RotationDegrees">Rotation of the file against the listed picture, degrees anticlockwise.</param>
/// <param name="Scale">Size of the file's picture against the listed picture's (0.5: half size).</param>
/// <param name="Mirrored">Whether the file is a mirror image of the listed picture.</param>
/// <param name="CropX">Left of the part of the listed picture the file shows, as a share of its width (0..1).</param>
/// <param name="CropY">Top of that part, as a share of the listed picture's height.</param>
/// <param name="CropWidth">Width of that part, as a share of the listed picture's width.</param>
/// <param name="CropHeight">Height of that part, as a share of the listed picture's height.</param>
/// <param name="Similarity">Cosine similarity of the global descriptors (-1..1).</param>
public sealed record RobustMatchDetails(
    int Inliers,
    double RotationDegrees,
    double Scale,
    bool Mirrored,
    double CropX,
    double CropY,
    double CropWidth,
    double CropHeight,
    double Similarity)
{
    /// <summary>The transform as one short text: <c>mirror,rotate=-4.9,scale=0.91,crop=0.05;0.05;0.90;0.90</c>.</summary>
    public string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{(Mirrored ? "mirror," : "")}rotate={RotationDegrees:0.#},scale={Scale:0.##},crop={CropX:0.##};{CropY:0.##};{CropWidth:0.##};{CropHeight:0.##}");
}
