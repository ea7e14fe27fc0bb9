namespace Needle.Hashing;

/// <summary>One hashed frame of an animated image (GIF, WebP), as a video frame is in vPDQ.</summary>
/// <param name="FrameNumber">Index of the frame in the file, from 0.</param>
/// <param name="Timestamp">When the frame is shown, in seconds from the start (the sum of the earlier frames' durations).</param>
/// <param name="Pdq">PDQ of the whole canvas as it looks while the frame is shown.</param>
public readonly record struct AnimationFrame(int FrameNumber, double Timestamp, PdqResult Pdq);
