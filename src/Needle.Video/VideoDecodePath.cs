namespace Needle.Video;

/// <summary>How frames get from the video to the PDQ hasher.</summary>
public enum VideoDecodePath
{
    /// <summary>
    /// As Meta's reference: decode every frame, take every <c>(int)(SecondsPerHash * fps)</c>-th by decoded-frame
    /// number, convert it to RGB24 at native size and compute luma from RGB.
    /// </summary>
    Reference,

    /// <summary>
    /// The reference's frames, decoded the same way, but luma is read from the decoder's Y plane (expanded to full
    /// range) instead of a round trip through RGB, and reading overlaps hashing. Hashes are within a few bits of
    /// <see cref="Reference"/> on natural content (swscale's RGB rounding), but saturated colours that clip in RGB
    /// (synthetic colour bars) move flat frames by 20-60 bits. With <see cref="VideoHashOptions.SkipBFrames"/> it also
    /// skips decoding B-frames.
    /// </summary>
    Fast,
}
