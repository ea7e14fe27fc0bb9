namespace Needle.Core.Reports;

/// <summary>What Needle computed for a video file.</summary>
/// <param name="Duration">Seconds, as the container says.</param>
/// <param name="FrameRate">Frames per second the frame numbers refer to.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="HashedFrames">Sampled frames in the vPDQ hash (every one, whatever its quality, since issue 17).</param>
/// <param name="DroppedFrames">
/// Sampled frames under the match quality, which matching leaves out. Hashes stored before issue 17 did not hold
/// them (this counted the frames left out of the hash); now they stay in <paramref name="Vpdq"/>.
/// </param>
/// <param name="Truncated">Hashing stopped at the frame limit.</param>
/// <param name="Vpdq">The vPDQ hash in Meta's text format (one <c>frame,quality,hash,timestamp</c> line per frame).</param>
public sealed record VideoSummary(double Duration, double FrameRate, int Width, int Height, int HashedFrames, int DroppedFrames, bool Truncated, string Vpdq);
