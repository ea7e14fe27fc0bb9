using Needle.Matching.Lists;

namespace Needle.Robust;

/// <summary>
/// A listed picture's keypoints as the matcher holds them: positions packed as 16-bit 1/32 px (as lists store them,
/// so nothing is lost) and the 32-byte descriptors, at most a cap of them (the first ones: entries list their keypoints
/// spread over the picture first).
/// </summary>
internal sealed class HeldKeypoints
{
    private const float PositionScale = 32;

    private HeldKeypoints(int width, int height, ushort[] points, byte[] descriptors)
    {
        Width = width;
        Height = height;
        Points = points;
        Descriptors = descriptors;
    }

    public int Width { get; }

    public int Height { get; }

    public int Count => Points.Length / 2;

    /// <summary>x, y interleaved, in 1/32 px.</summary>
    public ushort[] Points { get; }

    public byte[] Descriptors { get; }

    /// <summary>Bytes held for the keypoints.</summary>
    public int Bytes => (Points.Length * sizeof(ushort)) + Descriptors.Length;

    public float X(int i) => Points[2 * i] / PositionScale;

    public float Y(int i) => Points[(2 * i) + 1] / PositionScale;

    public static HeldKeypoints From(RobustFeatures features, int cap)
    {
        var count = Math.Min(features.KeypointCount, Math.Max(0, cap));
        var points = new ushort[count * 2];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = (ushort)Math.Clamp(MathF.Round(features.Points[i] * PositionScale), 0, ushort.MaxValue);
        }

        var descriptors = count == features.KeypointCount
            ? features.KeypointDescriptors
            : features.KeypointDescriptors.AsSpan(0, count * RobustFeatures.KeypointDescriptorBytes).ToArray();
        return new HeldKeypoints(features.Width, features.Height, points, descriptors);
    }
}
