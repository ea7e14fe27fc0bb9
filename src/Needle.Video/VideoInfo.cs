namespace Needle.Video;

/// <summary>What ffprobe says about a video's first video stream.</summary>
/// <param name="Width">Coded width (before any rotation metadata; vPDQ does not rotate).</param>
/// <param name="Height">Coded height.</param>
/// <param name="FrameRate">Average frame rate, or the stream's base rate when the average is unknown.</param>
/// <param name="Duration">Container duration in seconds (0 when unknown).</param>
public sealed record VideoInfo(int Width, int Height, double FrameRate, double Duration)
{
    /// <summary>The decoder's pixel format (ffprobe's <c>pix_fmt</c>, e.g. <c>yuv420p</c>), or empty when unknown.</summary>
    public string PixelFormat { get; init; } = "";

    /// <summary>True when the stream says its YUV uses the full 0..255 range (JPEG range) rather than 16..235.</summary>
    public bool FullRange { get; init; }

    /// <summary>The codec's short name (ffprobe's <c>codec_name</c>), or empty when unknown.</summary>
    public string Codec { get; init; } = "";

    /// <summary>The container as ffprobe names it (<c>format_name</c>, e.g. <c>mov,mp4,m4a,3gp,3g2,mj2</c>), or empty.</summary>
    public string FormatName { get; init; } = "";

    /// <summary>Numerator of the stream's time base (the unit of its packet timestamps), 0 when unknown.</summary>
    public long TimeBaseNumerator { get; init; }

    /// <summary>Denominator of the stream's time base, 0 when unknown.</summary>
    public long TimeBaseDenominator { get; init; }

    /// <summary>The container's start time in microseconds (what ffmpeg's <c>-ss</c> counts from), null when unknown.</summary>
    public long? StartMicroseconds { get; init; }

    /// <summary>True when the decoder's first plane is 8-bit-or-deeper luma (a planar or semi-planar YUV format), which the fast path reads directly.</summary>
    internal bool HasLumaPlane =>
        PixelFormat.StartsWith("yuv", StringComparison.Ordinal) && !PixelFormat.StartsWith("yuva", StringComparison.Ordinal) && !PixelFormat.Contains("yuyv", StringComparison.Ordinal) ||
        PixelFormat is "nv12" or "nv21" or "nv16" or "nv24" or "p010le" or "p016le";
}
