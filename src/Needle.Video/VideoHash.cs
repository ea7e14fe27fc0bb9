using Needle.Hashing;

namespace Needle.Video;

/// <summary>The vPDQ hash of a video: its sampled frames plus what is known about the file.</summary>
public sealed record VideoHash
{
    /// <summary>
    /// Every sampled frame in frame order, whatever its quality, as Meta's <c>vpdq-hash-video</c> writes them; matching
    /// ignores frames under <see cref="VpdqMatchOptions.MinQuality"/>.
    /// </summary>
    public required IReadOnlyList<VpdqFrame> Frames { get; init; }

    /// <summary>Optional: the eight dihedral hashes of each frame (same order as <see cref="Frames"/>), for mirrored/rotated copies. Never written to the vPDQ text.</summary>
    public IReadOnlyList<PdqHash[]>? DihedralFrames { get; init; }

    /// <summary>Frame rate the frame numbers and timestamps refer to (0 when read from text).</summary>
    public double FrameRate { get; init; }

    /// <summary>Frame width in pixels as hashed (0 when unknown).</summary>
    public int Width { get; init; }

    /// <summary>Frame height in pixels as hashed (0 when unknown).</summary>
    public int Height { get; init; }

    /// <summary>Duration in seconds as the container reports it (0 when unknown).</summary>
    public double Duration { get; init; }

    /// <summary>ffmpeg processes that decoded the video: 1 on the sequential path, more when it was hashed in segments.</summary>
    public int Segments { get; init; } = 1;

    /// <summary>True when hashing stopped at <see cref="VideoHashOptions.MaxFrames"/> and the rest of the video was not hashed.</summary>
    public bool Truncated { get; init; }

    /// <summary>MD5, SHA-1 and SHA-256 of the whole file (null when read from text).</summary>
    public FileDigests? Digests { get; init; }
}
