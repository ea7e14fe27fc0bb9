namespace Needle.Hashing;

/// <summary>The frames of an animated image that were hashed.</summary>
public sealed record AnimationHash
{
    /// <summary>The hashed frames in frame order: all of them, or every n-th when there are more than <see cref="DecodeOptions.MaxFrames"/>.</summary>
    public required IReadOnlyList<AnimationFrame> Frames { get; init; }

    /// <summary>How many frames the file has.</summary>
    public required int FrameCount { get; init; }

    /// <summary>Length of the animation in seconds (the sum of the frame durations).</summary>
    public double Duration { get; init; }

    /// <summary>True when decoding stopped at <see cref="DecodeOptions.MaxAnimationPixels"/> before the last frame.</summary>
    public bool Truncated { get; init; }
}
