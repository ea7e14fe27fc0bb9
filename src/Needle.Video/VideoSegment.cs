namespace Needle.Video;

/// <summary>
/// A stretch of a video decoded by its own ffmpeg process: frames <see cref="FirstFrame"/> onwards in the numbering of
/// one whole decode. Every segment but the first starts at an IDR key frame, where <c>-ss</c> puts the decoder in the
/// state a whole decode has there.
/// </summary>
/// <param name="Index">0 for the first segment (decoded from the start, no seek).</param>
/// <param name="FirstFrame">Number of the segment's first frame among all decoded frames: the key frame's.</param>
/// <param name="FrameCount">Frames in the segment as the packets count them (<see cref="int.MaxValue"/> when unknown).</param>
/// <param name="SeekMicroseconds">The key frame's time from the container's start, in microseconds: ffmpeg's <c>-ss</c>.</param>
/// <param name="ToEnd">ffmpeg decodes to the end of the video (the last segment, or the whole video) instead of stopping after the segment.</param>
internal sealed record VideoSegment(int Index, int FirstFrame, int FrameCount, long SeekMicroseconds, bool ToEnd)
{
    /// <summary>The whole video as one segment: the sequential path.</summary>
    public static VideoSegment Whole { get; } = new(0, 0, int.MaxValue, 0, ToEnd: true);

    /// <summary>
    /// The segment also outputs its first frame when it is not a sampled one, so that it can be compared with the
    /// previous segment's look past its end (the proof that both number the frames alike).
    /// </summary>
    public bool ChecksStart => Index > 0;

    /// <summary>The segment also outputs the first frame after its end (the next segment's first) for that comparison.</summary>
    public bool ChecksEnd => !ToEnd;

    /// <summary>
    /// The segment-relative number of the next frame ffmpeg outputs after <paramref name="previous"/> (-1 before the
    /// first): a sampled frame (frame number a multiple of <paramref name="step"/>) or a checked boundary frame; -1 when
    /// none is left.
    /// </summary>
    public int NextOutput(int previous, int step)
    {
        if (previous < 0 && ChecksStart)
        {
            return 0;
        }

        var candidate = previous + 1L;
        var remainder = (FirstFrame + candidate) % step;
        candidate += remainder == 0 ? 0 : step - remainder;
        if (ChecksEnd && candidate >= FrameCount)
        {
            return previous < FrameCount ? FrameCount : -1;
        }

        return candidate <= int.MaxValue ? (int)candidate : -1;
    }

    /// <summary>Whether segment-relative frame <paramref name="relative"/> is a sampled frame of this segment.</summary>
    public bool IsSampled(int relative, int step) => (FirstFrame + (long)relative) % step == 0 && (ToEnd || relative < FrameCount);

    /// <summary>How many frames ffmpeg outputs for this segment (null when it runs to the end).</summary>
    public int? OutputCount(int step)
    {
        if (ToEnd)
        {
            return null;
        }

        var outputs = 0;
        for (var r = NextOutput(-1, step); r >= 0; r = NextOutput(r, step))
        {
            outputs++;
        }

        return outputs;
    }

    /// <summary>Sampled frames among the segment's <see cref="FrameCount"/> frames.</summary>
    public long SampledCount(int step) => CeilDivide(FirstFrame + (long)FrameCount, step) - CeilDivide(FirstFrame, step);

    private static long CeilDivide(long value, int divisor) => (value + divisor - 1) / divisor;
}
