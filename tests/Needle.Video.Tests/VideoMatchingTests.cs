using Needle.Hashing;

namespace Needle.Video.Tests;

public sealed class VideoMatchingTests(TestVideos videos) : IClassFixture<TestVideos>
{
    private static readonly VideoHasher Hasher = new(new VideoHashOptions { Dihedral = true });

    private static KnownVideo Known(string path, string name)
    {
        var hash = Hasher.Hash(path);
        return new KnownVideo(name, hash.Frames, hash.Digests!.Md5);
    }

    private static VideoIndex IndexOf(params (string Path, string Name)[] known)
    {
        var index = new VideoIndex();
        foreach (var (path, name) in known)
        {
            index.Add(Known(path, name));
        }

        return index;
    }

    [Fact]
    public void Source_is_hashed_at_one_frame_a_second_with_reference_timestamps()
    {
        var hash = Hasher.Hash(videos.Source);
        Assert.Equal(320, hash.Width);
        Assert.Equal(240, hash.Height);
        Assert.Equal(10, hash.FrameRate, 3);
        Assert.InRange(hash.Frames.Count, 58, 60);
        Assert.Equal(0, hash.Frames[0].FrameNumber);
        Assert.Equal(10, hash.Frames[1].FrameNumber);
        Assert.Equal(1.0, hash.Frames[1].Timestamp, 3);
        Assert.All(hash.Frames, f => Assert.True(f.Quality >= 50));
        Assert.Equal(32, hash.Digests!.Md5.Length);
        Assert.Equal(hash.Frames.Count, hash.DihedralFrames!.Count);
        Assert.Equal(hash.Frames[3].Hash, hash.DihedralFrames[3][0]);
    }

    [Theory]
    [InlineData("vp9")]
    [InlineData("mpeg4")]
    [InlineData("resized")]
    public void Reencoded_and_resized_copies_match_the_source_frame_for_frame(string which)
    {
        var path = which switch { "vp9" => videos.Vp9, "mpeg4" => videos.Mpeg4, _ => videos.Resized };
        var index = IndexOf((videos.Source, "source"), (videos.Unrelated, "unrelated"), (videos.Bars, "bars"));
        var matches = index.Match(Hasher.Hash(path));
        var match = Assert.Single(matches);
        Assert.Equal("source", match.Video.Name);
        Assert.True(match.Rule.HasFlag(VideoMatchRule.Known) && match.Rule.HasFlag(VideoMatchRule.Clip));
        Assert.True(match.KnownPercent >= 95, $"known {match.KnownPercent}");
        Assert.True(match.QueryPercent >= 95, $"query {match.QueryPercent}");
        var segment = Assert.Single(match.Segments);
        Assert.InRange(segment.Query.Start, 0, 1);
        Assert.InRange(segment.Query.End, 59, 61);
        Assert.InRange(segment.Known.Start, 0, 1);
        Assert.InRange(segment.Known.End, 59, 61);
        Assert.Equal(DihedralTransform.Original, match.Transform);
    }

    [Fact]
    public void A_bordered_copy_matches_when_its_frames_are_unletterboxed_and_an_unrelated_video_still_does_not()
    {
        var index = IndexOf((videos.Unrelated, "unrelated"), (videos.Source, "source"));
        Assert.Empty(index.Match(Hasher.Hash(videos.Bordered)));
        var unletterbox = new VideoHasher(new VideoHashOptions { Dihedral = true, Unletterbox = true });
        var match = Assert.Single(index.Match(unletterbox.Hash(videos.Bordered)));
        Assert.Equal("source", match.Video.Name);
        Assert.True(match.KnownPercent >= 80, $"{match.KnownPercent} % of the source's frames");
        Assert.Empty(index.Match(unletterbox.Hash(videos.Bars)));
    }

    [Fact]
    public void A_ten_second_clip_maps_to_the_right_ten_seconds_of_the_source()
    {
        var index = IndexOf((videos.Unrelated, "unrelated"), (videos.Source, "source"));
        var match = Assert.Single(index.Match(Hasher.Hash(videos.Clip)));
        Assert.Equal("source", match.Video.Name);
        Assert.Equal(VideoMatchRule.Clip, match.Rule); // 100% of the clip, about 17% of the source
        Assert.Equal(100, match.QueryPercent, 1);
        Assert.InRange(match.KnownPercent, 15, 19);
        var segment = Assert.Single(match.Segments);
        Assert.InRange(segment.Query.Start, -1, 1);
        Assert.InRange(segment.Query.End, 9, 11);
        Assert.InRange(segment.Known.Start, 19, 21);
        Assert.InRange(segment.Known.End, 29, 31);
    }

    [Fact]
    public void The_source_matches_a_known_clip_by_the_known_share()
    {
        var index = IndexOf((videos.Clip, "clip"));
        var match = Assert.Single(index.Match(Hasher.Hash(videos.Source)));
        Assert.Equal(VideoMatchRule.Known, match.Rule);
        Assert.Equal(100, match.KnownPercent, 1);
        var segment = Assert.Single(match.Segments);
        Assert.InRange(segment.Query.Start, 19, 21);
        Assert.InRange(segment.Query.End, 29, 31);
        Assert.InRange(segment.Known.Start, -1, 1);
    }

    [Fact]
    public void The_clip_rule_can_be_turned_off()
    {
        var index = IndexOf((videos.Source, "source"));
        Assert.Empty(index.Match(Hasher.Hash(videos.Clip), new VpdqMatchOptions { ClipQueryPercent = null }));
    }

    [Fact]
    public void A_mirrored_copy_matches_through_dihedral_frame_hashes_only()
    {
        var index = IndexOf((videos.Source, "source"));
        var mirrored = Hasher.Hash(videos.Mirrored);
        var match = Assert.Single(index.Match(mirrored));
        Assert.Equal(DihedralTransform.FlipY, match.Transform); // hflip: columns reversed
        Assert.True(match.KnownPercent >= 90, $"known {match.KnownPercent}");
        Assert.Empty(index.Match(mirrored, new VpdqMatchOptions { Dihedral = false }));
        Assert.Empty(index.Match(mirrored with { DihedralFrames = null }));
    }

    [Fact]
    public void Unrelated_videos_do_not_match()
    {
        var index = IndexOf((videos.Source, "source"), (videos.Clip, "clip"));
        Assert.Empty(index.Match(Hasher.Hash(videos.Unrelated)));
        Assert.Empty(index.Match(Hasher.Hash(videos.Bars)));
        var (query, known) = VideoIndex.CompareBrute(Hasher.Hash(videos.Unrelated).Frames, Hasher.Hash(videos.Source).Frames);
        Assert.Equal(0, query);
        Assert.Equal(0, known);
    }

    [Fact]
    public void Identical_files_match_by_md5_too()
    {
        var index = IndexOf((videos.Source, "source"));
        var match = Assert.Single(index.Match(Hasher.Hash(videos.Source)));
        Assert.True(match.Rule.HasFlag(VideoMatchRule.Md5));
        Assert.Equal(100, match.KnownPercent, 3);
    }

    [Fact]
    public void Index_votes_agree_with_the_brute_force_definition()
    {
        var source = Hasher.Hash(videos.Source);
        foreach (var path in new[] { videos.Vp9, videos.Clip, videos.Unrelated, videos.Resized })
        {
            var query = Hasher.Hash(path);
            var index = new VideoIndex();
            index.Add(new KnownVideo("source", source.Frames));
            var (q, k) = VideoIndex.CompareBrute(query.Frames, source.Frames);
            var found = index.Match(query.Frames, null, null, new VpdqMatchOptions { MinKnownPercent = 0, ClipQueryPercent = 0 });
            if (q == 0 && k == 0)
            {
                Assert.Empty(found);
                continue;
            }

            var match = Assert.Single(found);
            Assert.Equal(q, match.QueryPercent, 6);
            Assert.Equal(k, match.KnownPercent, 6);
        }
    }

    [Fact]
    public void Fast_decode_stays_within_threshold_on_this_video_and_key_frames_still_match()
    {
        var reference = Hasher.Hash(videos.Source).Frames;
        var fast = new VideoHasher(new VideoHashOptions { FastDecode = true }).Hash(videos.Source).Frames;
        Assert.Equal(reference.Count, fast.Count);
        Assert.All(reference.Zip(fast), p => Assert.InRange(p.First.Hash.HammingDistance(p.Second.Hash), 0, 31));

        var index = new VideoIndex();
        index.Add(new KnownVideo("source", reference));
        var keyOnly = new VideoHasher(new VideoHashOptions { KeyFramesOnly = true }).Hash(videos.Source);
        Assert.NotEmpty(keyOnly.Frames);
        Assert.NotEmpty(index.Match(keyOnly));
    }
}
