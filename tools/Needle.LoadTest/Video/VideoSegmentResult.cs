namespace Needle.LoadTest.Video;

/// <summary>The reference path with up to <see cref="Processes"/> ffmpeg processes decoding segments of the clip side by side.</summary>
/// <param name="Processes">MaxParallelSegments asked for.</param>
/// <param name="Speed">Seconds of video hashed per second of wall time (best run).</param>
/// <param name="SegmentsUsed">Segments the hasher actually used (1: it fell back to the sequential path).</param>
/// <param name="Identical">The vPDQ text equals the sequential path's byte for byte.</param>
/// <param name="CpuSeconds">CPU time of a run, this process and its ffmpeg/ffprobe children (least of the runs; 0 when unknown).</param>
internal sealed record VideoSegmentResult(int Processes, double Speed, int SegmentsUsed, bool Identical, double CpuSeconds);
