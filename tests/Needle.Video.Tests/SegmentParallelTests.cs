namespace Needle.Video.Tests;

/// <summary>
/// Segment-parallel hashing gives the sequential path's output byte for byte where the cut points can be shown exact,
/// and falls back to the sequential path elsewhere.
/// </summary>
public sealed class SegmentParallelTests(SegmentVideos videos) : IClassFixture<SegmentVideos>
{
    private static VideoHashOptions Options(int segments, double secondsPerHash = 1, bool dihedral = false) => new()
    {
        MaxParallelSegments = segments,
        MinSegmentSeconds = 3,
        SecondsPerHash = secondsPerHash,
        Dihedral = dihedral,
        ComputeDigests = false,
    };

    private static string Text(VideoHash hash)
    {
        var writer = new StringWriter();
        VpdqFormat.Write(writer, hash.Frames);
        return writer.ToString();
    }

    private static void AssertSameAsSequential(string path, VideoHashOptions options, int expectedSegments)
    {
        var sequential = new VideoHasher(options with { MaxParallelSegments = 1 }).Hash(path);
        var parallel = new VideoHasher(options).Hash(path);
        Assert.Equal(1, sequential.Segments);
        Assert.Equal(expectedSegments, parallel.Segments);
        Assert.Equal(Text(sequential), Text(parallel));
        Assert.Equal(sequential.Frames, parallel.Frames);
        Assert.Equal(sequential.Truncated, parallel.Truncated);
        if (options.Dihedral)
        {
            Assert.Equal(sequential.DihedralFrames!.Count, parallel.DihedralFrames!.Count);
            Assert.All(sequential.DihedralFrames.Zip(parallel.DihedralFrames), p => Assert.Equal(p.First, p.Second));
        }

        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Theory]
    [InlineData(2, 1.0, false)]
    [InlineData(4, 1.0, true)]
    [InlineData(4, 0.7, false)]
    [InlineData(3, 0.0, false)]
    public void Closed_gop_h264_with_b_frames_is_byte_identical_in_segments(int segments, double secondsPerHash, bool dihedral) =>
        AssertSameAsSequential(videos.ClosedH264, Options(segments, secondsPerHash, dihedral), segments);

    [Theory]
    [InlineData(2, 1.0)]
    [InlineData(4, 0.0)]
    public void Closed_gop_hevc_with_b_frames_is_byte_identical_in_segments(int segments, double secondsPerHash) =>
        AssertSameAsSequential(videos.ClosedHevc, Options(segments, secondsPerHash), segments);

    [Theory]
    [InlineData(4, 1.0)]
    [InlineData(3, 0.0)]
    public void Variable_frame_rate_is_byte_identical_in_segments(int segments, double secondsPerHash)
    {
        // Frames are numbered by their place among the packets, whatever their durations; the frame rate is the average.
        var info = new VideoHasher().Probe(videos.Vfr);
        Assert.NotEqual(30, info.FrameRate, 1);
        AssertSameAsSequential(videos.Vfr, Options(segments, secondsPerHash), segments);
    }

    [Fact]
    public void Key_frame_times_that_are_not_whole_microseconds_are_sought_exactly() =>
        AssertSameAsSequential(videos.Ntsc, Options(4, 0.0), 4);

    [Fact]
    public void The_fast_luma_path_is_byte_identical_in_segments_too() =>
        AssertSameAsSequential(videos.ClosedH264, Options(3) with { DecodePath = VideoDecodePath.Fast }, 3);

    [Theory]
    [InlineData("open-h264", "open GOP")]
    [InlineData("open-hevc", "open GOP")]
    [InlineData("matroska", "MP4/MOV")]
    [InlineData("short", "duration")]
    [InlineData("keyframes-only", "key-frame-only")]
    [InlineData("frame-limit", "frame limit")]
    public void Where_exactness_cannot_be_shown_the_sequential_path_is_used(string which, string reason)
    {
        var (path, options) = which switch
        {
            "open-h264" => (videos.OpenH264, Options(4)),
            "open-hevc" => (videos.OpenHevc, Options(4)),
            "matroska" => (videos.Matroska, Options(4)),
            "short" => (videos.ClosedH264, Options(4) with { MinSegmentSeconds = 15 }),
            "keyframes-only" => (videos.ClosedH264, Options(4) with { KeyFramesOnly = true }),
            _ => (videos.ClosedH264, Options(4) with { MaxFrames = 20 }),
        };
        var hasher = new VideoHasher(options);
        var info = hasher.Probe(path);
        hasher.BuildArguments(path, info, out var plan);
        Assert.Null(VideoSegmenter.Plan(path, info, options, plan, default, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
        AssertSameAsSequential(path, options, 1);
    }

    [Fact]
    public void Segments_start_at_idr_key_frames_numbered_as_one_decode_counts()
    {
        var options = Options(4);
        var hasher = new VideoHasher(options);
        var info = hasher.Probe(videos.ClosedH264);
        hasher.BuildArguments(videos.ClosedH264, info, out var plan);
        var segments = VideoSegmenter.Plan(videos.ClosedH264, info, options, plan, default, out _)!;
        Assert.Equal(4, segments.Count);
        Assert.Equal(0, segments[0].FirstFrame);
        Assert.All(segments.Skip(1), s => Assert.Equal(0, s.FirstFrame % 48)); // -g 48: IDR every 48 frames
        Assert.Equal(720, segments.Sum(s => s.FrameCount));
        Assert.All(segments.Skip(1), s => Assert.Equal((s.FirstFrame * 1_000_000L / 30) - info.StartMicroseconds, s.SeekMicroseconds));
        Assert.True(segments[^1].ToEnd);
        Assert.Contains("-ss", hasher.BuildArguments(videos.ClosedH264, info, out _, segments[1]));
    }

    [Fact]
    public void A_plan_that_numbers_frames_wrong_is_caught_by_the_boundary_check()
    {
        var options = Options(3);
        var hasher = new VideoHasher(options);
        var path = videos.ClosedH264;
        var info = hasher.Probe(path);
        hasher.BuildArguments(path, info, out var plan);
        var segments = VideoSegmenter.Plan(path, info, options, plan, default, out _)!;
        Assert.NotNull(hasher.DecodeSegments(path, info, plan, segments, default));

        // Claim the second segment starts one frame later than its key frame: the first segment's look past its end
        // (the real key frame) no longer equals what the second segment says is that frame.
        var wrong = segments.ToList();
        wrong[0] = wrong[0] with { FrameCount = wrong[0].FrameCount + 1 };
        wrong[1] = wrong[1] with { FirstFrame = wrong[1].FirstFrame + 1, FrameCount = wrong[1].FrameCount - 1 };
        Assert.Null(hasher.DecodeSegments(path, info, plan, wrong, default));
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void A_time_out_stops_every_segment()
    {
        var hasher = new VideoHasher(Options(4, 0) with { DownsampleSize = 1600, Timeout = TimeSpan.FromMilliseconds(1500) });
        var error = Assert.Throws<VideoHashException>(() => hasher.Hash(videos.ClosedH264));
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Empty(ChildProcesses.Ffmpeg());
    }
}
