namespace Needle.LoadTest.Video;

/// <summary>One clip measured with both decode paths.</summary>
internal sealed record VideoBenchmarkRow(
    string Codec,
    int Height,
    double Duration,
    int Frames,
    double ReferenceSpeed,
    VideoPathResult Fast,
    VideoPathResult SkipB);
