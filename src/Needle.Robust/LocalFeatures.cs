namespace Needle.Robust;

/// <summary>ORB keypoints of one picture at the working scale: positions (x, y interleaved) and 32-byte descriptors.</summary>
/// <param name="Width">Width of the picture at the working scale.</param>
/// <param name="Height">Height of the picture at the working scale.</param>
/// <param name="Points">Keypoint positions, x and y interleaved.</param>
/// <param name="Descriptors">32 bytes per keypoint.</param>
public sealed record LocalFeatures(int Width, int Height, float[] Points, byte[] Descriptors)
{
    /// <summary>Number of keypoints.</summary>
    public int Count => Points.Length / 2;
}
