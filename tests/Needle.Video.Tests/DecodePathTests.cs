namespace Needle.Video.Tests;

/// <summary>
/// The fast decode path (luma plane, optional B-frame skipping) against the reference path on every test video: the
/// same sampled frames, hashes a few bits apart, and the same match results.
/// </summary>
public sealed class DecodePathTests(TestVideos videos) : IClassFixture<TestVideos>
{
    private static readonly VideoHasher Reference = new(new VideoHashOptions { DecodePath = VideoDecodePath.Reference, ComputeDigests = false });
    private static readonly VideoHasher Fast = new(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, ComputeDigests = false });

    [Fact]
    public void Reference_is_the_default_path()
    {
        Assert.Equal(VideoDecodePath.Reference, new VideoHashOptions().DecodePath);
        Assert.False(new VideoHashOptions().SkipBFrames);
    }

    [Fact]
    public void Fast_path_hashes_the_same_frames_within_a_few_bits_on_every_natural_test_video()
    {
        // Not the colour bars: their saturated colours clip in RGB, so the reference's luma of the clipped RGB is
        // 20-58 bits from the decoder's Y on those flat frames (the documented limit of the fast path).
        foreach (var path in videos.All.Where(p => p != videos.Bars))
        {
            var reference = Reference.Hash(path);
            var fast = Fast.Hash(path);
            Assert.Equal(reference.Frames.Select(f => f.FrameNumber), fast.Frames.Select(f => f.FrameNumber));
            Assert.Equal(reference.Frames.Select(f => f.Timestamp), fast.Frames.Select(f => f.Timestamp));
            var distances = reference.Frames.Zip(fast.Frames, (r, f) => r.Hash.HammingDistance(f.Hash)).ToList();

            // Luma from Y instead of RGB moves a few bits through rounding: most frames within 8 bits, none far.
            Assert.True(distances.Count(d => d <= 8) >= distances.Count * 0.9, $"{Path.GetFileName(path)}: distances {string.Join(' ', distances)}");
            Assert.True(distances.Max() <= 20, $"{Path.GetFileName(path)}: distances {string.Join(' ', distances)}");
            Assert.All(reference.Frames.Zip(fast.Frames), p => Assert.InRange(Math.Abs(p.First.Quality - p.Second.Quality), 0, 10));
        }
    }

    [Fact]
    public void Fast_path_gives_the_same_match_results_as_the_reference_path()
    {
        var referenceIndex = new VideoIndex();
        var fastIndex = new VideoIndex();
        foreach (var known in new[] { videos.Source, videos.Unrelated, videos.Bars })
        {
            referenceIndex.Add(new KnownVideo(Path.GetFileName(known), Reference.Hash(known).Frames));
            fastIndex.Add(new KnownVideo(Path.GetFileName(known), Fast.Hash(known).Frames));
        }

        foreach (var query in new[] { videos.Source, videos.Vp9, videos.Mpeg4, videos.Resized, videos.Clip, videos.Unrelated, videos.Bars, videos.BFrames })
        {
            var byReference = referenceIndex.Match(Reference.Hash(query));
            var byFast = fastIndex.Match(Fast.Hash(query));
            Assert.Equal(byReference.Select(m => (m.Video.Name, m.Rule)), byFast.Select(m => (m.Video.Name, m.Rule)));
            foreach (var (r, f) in byReference.Zip(byFast))
            {
                Assert.InRange(Math.Abs(r.QueryPercent - f.QueryPercent), 0, 5);
                Assert.InRange(Math.Abs(r.KnownPercent - f.KnownPercent), 0, 5);
                // A frame a few bits away can join or split two neighbouring segments where the query runs at another
                // speed than the known video (bframes.mp4 is the source's zoom at 3x): one segment more or less.
                Assert.InRange(Math.Abs(r.Segments.Count - f.Segments.Count), 0, 1);
            }
        }
    }

    [Fact]
    public void Skipping_b_frames_keeps_the_reference_frame_numbers_and_still_matches()
    {
        var reference = Reference.Hash(videos.BFrames);
        var skipping = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, SkipBFrames = true, ComputeDigests = false });
        var skipped = skipping.Hash(videos.BFrames);
        Assert.Equal(reference.Frames.Select(f => f.FrameNumber), skipped.Frames.Select(f => f.FrameNumber));

        // A sampled B-frame is replaced by a later decoded frame: near, not equal; the videos still match fully.
        var (queryPercent, knownPercent) = VideoIndex.CompareBrute(skipped.Frames, reference.Frames);
        Assert.True(queryPercent >= 90 && knownPercent >= 90, $"{queryPercent}% / {knownPercent}%");
    }

    [Fact]
    public void B_frames_of_hevc_are_always_decoded()
    {
        var hevc = Path.Combine(videos.Folder, "hevc.mp4");
        TestVideos.Run("-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30", "-t", "6", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", hevc);
        var skipping = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, SkipBFrames = true, ComputeDigests = false });
        var info = skipping.Probe(hevc);
        Assert.Equal("hevc", info.Codec);
        Assert.DoesNotContain("-skip_frame", skipping.BuildArguments(hevc, info, out _));
        var reference = Reference.Hash(hevc).Frames;
        Assert.All(reference.Zip(skipping.Hash(hevc).Frames), p => Assert.InRange(p.First.Hash.HammingDistance(p.Second.Hash), 0, 10));
    }
}
