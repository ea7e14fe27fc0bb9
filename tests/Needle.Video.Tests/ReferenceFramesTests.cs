using Needle.Matching.Lists;

namespace Needle.Video.Tests;

/// <summary>
/// Hashes hold every sampled frame whatever its quality, as Meta's <c>vpdq-hash-video</c> writes them, converted to RGB as
/// its <c>sws_getContext(..., SWS_AREA)</c> does; matching leaves the low-quality frames out, so match results are those
/// of hashes written without them (what Needle stored before).
/// </summary>
public sealed class ReferenceFramesTests(TestVideos videos) : IClassFixture<TestVideos>
{
    private static readonly VideoHasher Hasher = new(new VideoHashOptions { Dihedral = true, ComputeDigests = false });

    /// <summary>12 s at 10 fps fading in from black over 4 s and out to black over the last 3 s: dark sampled frames at both ends.</summary>
    private string Faded()
    {
        var path = Path.Combine(videos.Folder, "faded.mp4");
        if (!File.Exists(path))
        {
            TestVideos.Run("-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10", "-t", "12", "-vf", "fade=t=in:st=0:d=4,fade=t=out:st=9:d=3",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path);
        }

        return path;
    }

    [Fact]
    public void Every_sampled_frame_is_kept_dark_ones_too_with_reference_numbers_and_timestamps()
    {
        var hash = Hasher.Hash(Faded());
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10), hash.Frames.Select(f => f.FrameNumber));
        Assert.All(hash.Frames, f => Assert.Equal((double)((float)f.FrameNumber / 10f), f.Timestamp));
        Assert.Equal(0, hash.Frames[0].Quality); // the first frame is black
        Assert.True(hash.Frames.Count(f => f.Quality < 50) >= 2, string.Join(' ', hash.Frames.Select(f => f.Quality)));
        Assert.Contains(hash.Frames, f => f.Quality >= 50);
        Assert.Equal(hash.Frames.Count, hash.DihedralFrames!.Count);
    }

    [Fact]
    public void Low_quality_frames_survive_the_text_format_and_list_values()
    {
        var frames = Hasher.Hash(Faded()).Frames;
        var writer = new StringWriter();
        VpdqFormat.Write(writer, frames);
        var text = writer.ToString();
        Assert.Equal(frames.Count, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("0,0,", text, StringComparison.Ordinal);
        var back = VpdqFormat.Read(new StringReader(text));
        var again = new StringWriter();
        VpdqFormat.Write(again, back);
        Assert.Equal(text, again.ToString());
        Assert.Equal(frames.Select(f => (f.FrameNumber, f.Quality, f.Hash)), back.Select(f => (f.FrameNumber, f.Quality, f.Hash)));

        // A list entry keeps them as well.
        var entry = new HashListEntry(SignalTypes.Vpdq, VideoListIndex.FormatValue(frames));
        Assert.Equal(frames.Count, VideoListIndex.ParseFrames(entry.Value).Count);
    }

    [Fact]
    public void Match_results_do_not_depend_on_whether_a_hash_holds_its_low_quality_frames()
    {
        var known = Hasher.Hash(Faded());
        var copy = Path.Combine(videos.Folder, "faded-small.mp4");
        TestVideos.Run("-i", Faded(), "-vf", "scale=176:144", "-c:v", "libx264", "-preset", "ultrafast", copy);
        var query = Hasher.Hash(copy);
        var unrelated = Hasher.Hash(videos.Unrelated);
        Assert.Contains(query.Frames, f => f.Quality < 50);

        // The same hashes as Needle stored them before: frames under 50 left out.
        var oldKnown = WithoutLowQuality(known);
        var oldQuery = WithoutLowQuality(query);
        var before = IndexOf(oldKnown, unrelated).Match(oldQuery);
        Assert.True(Assert.Single(before).Rule.HasFlag(VideoMatchRule.Known));
        var expected = Describe(before);
        Assert.Equal(expected, Describe(IndexOf(known, unrelated).Match(query)));
        Assert.Equal(expected, Describe(IndexOf(oldKnown, unrelated).Match(query)));
        Assert.Equal(expected, Describe(IndexOf(known, unrelated).Match(oldQuery)));
        Assert.Equal(VideoIndex.CompareBrute(oldQuery.Frames, oldKnown.Frames), VideoIndex.CompareBrute(query.Frames, known.Frames));

        // Through list entries, as the server matches: a new entry (every frame) and an old one (without) agree.
        var expectedList = DescribeList(ListIndexOf(oldKnown).Match(oldQuery));
        Assert.NotEmpty(expectedList);
        Assert.Equal(expectedList, DescribeList(ListIndexOf(known).Match(query)));
        Assert.Equal(expectedList, DescribeList(ListIndexOf(oldKnown).Match(query)));
    }

    [Fact]
    public void Frames_are_converted_with_plain_area_bt601_and_the_range_of_the_pixel_format()
    {
        var info = Hasher.Probe(videos.Source);
        var arguments = string.Join(' ', Hasher.BuildArguments(videos.Source, info, out _));
        Assert.Contains("scale=320:240:flags=area:in_color_matrix=bt601:in_range=tv,format=rgb24", arguments, StringComparison.Ordinal);
        Assert.DoesNotContain("accurate_rnd", arguments, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("h264-bt709", "-c:v libx264 -preset ultrafast -colorspace bt709 -color_primaries bt709 -color_trc bt709", "mp4")]
    [InlineData("vp9-full-range", "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -color_range pc", "webm")]
    public void Colour_tags_do_not_change_the_hash_as_the_reference_ignores_them(string name, string encoder, string extension)
    {
        // Same pictures encoded twice, once with colour tags: the reference converts both alike (BT.601, range from the
        // pixel format), while ffmpeg's scale filter left to itself would follow the tags.
        var untagged = Path.Combine(videos.Folder, $"{name}-untagged.{extension}");
        var tagged = Path.Combine(videos.Folder, $"{name}-tagged.{extension}");
        string[] source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "3", "-pix_fmt", "yuv420p"];
        TestVideos.Run([.. source, .. Untag(encoder.Split(' ')), untagged]);
        TestVideos.Run([.. source, .. encoder.Split(' '), tagged]);
        var a = Hasher.Hash(untagged).Frames;
        var b = Hasher.Hash(tagged).Frames;
        Assert.Equal(a.Select(f => (f.FrameNumber, f.Quality, f.Hash)), b.Select(f => (f.FrameNumber, f.Quality, f.Hash)));
    }

    private static string[] Untag(string[] encoder)
    {
        var result = new List<string>();
        for (var i = 0; i < encoder.Length; i++)
        {
            if (encoder[i].StartsWith("-color", StringComparison.Ordinal))
            {
                i++;
                continue;
            }

            result.Add(encoder[i]);
        }

        return [.. result];
    }

    private static VideoHash WithoutLowQuality(VideoHash hash)
    {
        var keep = Enumerable.Range(0, hash.Frames.Count).Where(i => hash.Frames[i].Quality >= 50).ToList();
        return hash with
        {
            Frames = keep.Select(i => hash.Frames[i]).ToList(),
            DihedralFrames = hash.DihedralFrames is null ? null : keep.Select(i => hash.DihedralFrames[i]).ToList(),
        };
    }

    private static VideoIndex IndexOf(params VideoHash[] known)
    {
        var index = new VideoIndex();
        for (var i = 0; i < known.Length; i++)
        {
            index.Add(new KnownVideo("video-" + i, known[i].Frames));
        }

        return index;
    }

    private static VideoListIndex ListIndexOf(VideoHash known)
    {
        var list = new HashList("known");
        list.Add(new HashListEntry(SignalTypes.Vpdq, VideoListIndex.FormatValue(known.Frames)));
        return new VideoListIndex([list]);
    }

    private static string Describe(IReadOnlyList<VideoMatch> matches) => string.Join('\n', matches.Select(m =>
        $"{m.VideoId} {m.Rule} {m.QueryPercent:R} {m.KnownPercent:R} {m.Transform} {string.Join(';', m.Segments.Select(s => $"{s.Query.Start:R}-{s.Query.End:R}={s.Known.Start:R}-{s.Known.End:R}"))}"));

    private static string DescribeList(IReadOnlyList<VideoListMatch> matches) => string.Join('\n', matches.Select(m => m.ListName + " " + Describe([m.Match])));
}
