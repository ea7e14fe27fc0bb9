namespace Needle.LoadTest.Video;

/// <summary>One clip measured with every decode path, ffmpeg's decoding alone and segment-parallel hashing.</summary>
/// <param name="Codec">The clip's codec.</param>
/// <param name="Height">The clip's frame height.</param>
/// <param name="Duration">The clip's duration in seconds.</param>
/// <param name="Frames">Frames the reference path hashed.</param>
/// <param name="ReferenceSpeed">The reference path: seconds of video per second (best run).</param>
/// <param name="Fast">The fast (luma) path against the reference.</param>
/// <param name="SkipB">The fast path skipping B-frames against the reference.</param>
/// <param name="DecodeOnlySpeed">ffmpeg decoding the clip to <c>-f null</c>, nothing else (seconds of video per second).</param>
/// <param name="DecodeOnlyCpuSeconds">CPU time of ffmpeg's decoding alone (least of the runs; 0 when unknown).</param>
/// <param name="ReferenceCpuSeconds">CPU time of the reference path, this process and its children (least of the runs; 0 when unknown).</param>
/// <param name="Segments">The reference path with 1, 2, 4... ffmpeg processes.</param>
internal sealed record VideoBenchmarkRow(
    string Codec,
    int Height,
    double Duration,
    int Frames,
    double ReferenceSpeed,
    VideoPathResult Fast,
    VideoPathResult SkipB,
    double DecodeOnlySpeed,
    double DecodeOnlyCpuSeconds,
    double ReferenceCpuSeconds,
    IReadOnlyList<VideoSegmentResult> Segments);
