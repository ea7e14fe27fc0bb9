namespace Needle.Video;

/// <summary>How <see cref="VideoHasher"/> samples frames and the limits it enforces. Defaults follow the reference vPDQ (1 frame a second, native size).</summary>
public sealed record VideoHashOptions
{
    /// <summary>Seconds between hashed frames; every <c>(int)(SecondsPerHash * fps)</c>-th decoded frame is hashed, as in the reference. 0 hashes every frame.</summary>
    public double SecondsPerHash { get; init; } = 1.0;

    /// <summary>
    /// How frames are decoded and sampled. Default <see cref="VideoDecodePath.Reference"/>, Meta's tool: the fast path
    /// measured no faster (decoding is the cost, not the RGB conversion), so it is not worth its few bits of drift.
    /// </summary>
    public VideoDecodePath DecodePath { get; init; } = VideoDecodePath.Reference;

    /// <summary>
    /// Fast path only, approximate: do not decode B-frames (<c>-skip_frame bidir</c>) of H.264 and MPEG-1/2/4 streams
    /// (not HEVC, whose P-frames are predicted from B-frames) when the sampling step is 20 frames or more, and take the first decoded frame at or after each sampling instant (a few frames later when the
    /// reference's frame is a B-frame). About 1.5-2x faster on H.264 with B-frames, but on fast-moving content a frame
    /// 2-3 frames later is tens of bits away, so it is off by default.
    /// </summary>
    public bool SkipBFrames { get; init; }

    /// <summary>Downscale frames to this width and height before hashing (0 = native size, the reference default; its <c>-s</c> option).</summary>
    public int DownsampleSize { get; init; }

    /// <summary>Also compute the eight dihedral hashes of every frame (for mirrored or rotated copies).</summary>
    public bool Dihedral { get; init; }

    /// <summary>
    /// Hash the inside of each frame's uniform border (letter and pillar boxes, a flat frame) instead of the whole frame,
    /// so a bordered copy of a known video matches it. Not the reference's hashes: use it for a second look at a video
    /// that matched nothing, not to make list entries. Default false.
    /// </summary>
    public bool Unletterbox { get; init; }

    /// <summary>
    /// Faster H.264/HEVC decoding: skips the in-loop deblocking filter (<c>-skip_loop_filter all</c>). Only ~12% faster
    /// on 1080p, and the error builds up along a GOP (measured up to 50 bits from the reference), so it is off by default.
    /// </summary>
    public bool FastDecode { get; init; }

    /// <summary>
    /// Decode key frames only (<c>-skip_frame nokey</c>): ~4x faster, but each sampled instant gets the latest key frame
    /// (identical to the reference only where a key frame is a sampled frame); frame numbers are derived from the instant.
    /// </summary>
    public bool KeyFramesOnly { get; init; }

    /// <summary>Longest video accepted (container duration); longer ones are refused.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Most frames hashed; hashing stops there and the result is marked <see cref="VideoHash.Truncated"/>.</summary>
    public int MaxFrames { get; init; } = 50_000;

    /// <summary>Largest file accepted, in bytes.</summary>
    public long MaxFileSize { get; init; } = 16L << 30;

    /// <summary>Largest frame accepted, in pixels (default 8K UHD).</summary>
    public long MaxFramePixels { get; init; } = 7680L * 4320;

    /// <summary>Wall-clock limit for one video (probe + decode + hash); ffmpeg is killed when it passes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Threads ffmpeg may use for decoding (0 = ffmpeg decides, for each segment too).</summary>
    public int DecoderThreads { get; init; }

    /// <summary>
    /// Most ffmpeg processes decoding one video at once (1 = one process, the sequential path). Above 1, a long H.264 or
    /// HEVC video in MP4/MOV is cut at IDR key frames into this many segments decoded in parallel, and the frames are
    /// numbered as one decode would number them; the result is byte-identical to the sequential path, which is used
    /// instead whenever that cannot be established for the file (see <see cref="VideoHash.Segments"/>).
    /// </summary>
    public int MaxParallelSegments { get; init; } = 1;

    /// <summary>Shortest segment worth its own ffmpeg process, in seconds of video; shorter videos are hashed sequentially.</summary>
    public double MinSegmentSeconds { get; init; } = 20;

    /// <summary>The ffmpeg executable (a name looked up in PATH or a full path).</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";

    /// <summary>The ffprobe executable.</summary>
    public string FfprobePath { get; init; } = "ffprobe";

    /// <summary>Also compute MD5/SHA-1/SHA-256 of the whole file.</summary>
    public bool ComputeDigests { get; init; } = true;

    internal void Validate()
    {
        if (double.IsNaN(SecondsPerHash) || SecondsPerHash < 0 || SecondsPerHash > 3600)
        {
            throw new ArgumentOutOfRangeException(nameof(SecondsPerHash), SecondsPerHash, "SecondsPerHash must be 0..3600.");
        }

        if (MaxParallelSegments is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxParallelSegments), MaxParallelSegments, "MaxParallelSegments must be 1..64.");
        }

        if (double.IsNaN(MinSegmentSeconds) || MinSegmentSeconds < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinSegmentSeconds), MinSegmentSeconds, "MinSegmentSeconds must be 0 or more.");
        }

        if (DownsampleSize is < 0 or > 8192)
        {
            throw new ArgumentOutOfRangeException(nameof(DownsampleSize), DownsampleSize, "DownsampleSize must be 0..8192.");
        }

        if (!Enum.IsDefined(DecodePath))
        {
            throw new ArgumentOutOfRangeException(nameof(DecodePath), DecodePath, "Unknown decode path.");
        }

        if (MaxFrames < 1 || MaxFileSize < 1 || MaxFramePixels < 25 || MaxDuration <= TimeSpan.Zero || Timeout <= TimeSpan.Zero || DecoderThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrames), "Limits must be positive.");
        }
    }
}
