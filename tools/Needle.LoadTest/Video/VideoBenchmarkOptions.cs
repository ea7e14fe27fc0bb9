namespace Needle.LoadTest.Video;

/// <summary>What the <c>video</c> harness runs.</summary>
internal sealed record VideoBenchmarkOptions
{
    public required string WorkDirectory { get; init; }

    public required IReadOnlyList<string> Codecs { get; init; }

    public required IReadOnlyList<int> Heights { get; init; }

    public int DurationSeconds { get; init; } = 60;

    public int Runs { get; init; } = 2;

    /// <summary>Most ffmpeg processes per video for the segment-parallel rows (1 is the reference path itself).</summary>
    public IReadOnlyList<int> Segments { get; init; } = [1, 2, 4];
}
