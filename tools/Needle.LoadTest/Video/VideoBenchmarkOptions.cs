namespace Needle.LoadTest.Video;

/// <summary>What the <c>video</c> harness runs.</summary>
internal sealed record VideoBenchmarkOptions
{
    public required string WorkDirectory { get; init; }

    public required IReadOnlyList<string> Codecs { get; init; }

    public required IReadOnlyList<int> Heights { get; init; }

    public int DurationSeconds { get; init; } = 60;

    public int Runs { get; init; } = 2;

    /// <summary>Decoding threads per ffmpeg process (0: ffmpeg decides), for every path and for the decode-only run.</summary>
    public int DecoderThreads { get; init; }

    /// <summary>Most ffmpeg processes per video for the segment-parallel rows (1 is the reference path itself).</summary>
    public IReadOnlyList<int> Segments { get; init; } = [1, 2, 4];
}
