using Needle.Hashing;

namespace Needle.Video;

/// <summary>
/// One hashed video frame, as a line of Meta's vPDQ text format: <c>frame_number,quality,pdq_hex,timestamp</c>.
/// </summary>
/// <param name="FrameNumber">Index of the frame among all decoded frames (0-based), as the reference counts.</param>
/// <param name="Quality">PDQ quality 0..100.</param>
/// <param name="Hash">PDQ hash of the frame.</param>
/// <param name="Timestamp">Seconds from the start: frame number / frame rate, as the reference computes it.</param>
public readonly record struct VpdqFrame(int FrameNumber, int Quality, PdqHash Hash, double Timestamp);
