using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Video.Tests;

/// <summary>
/// The list video index over compact columns: a match carries the entry as its list holds it now (details read from
/// the list, not kept per video), hidden entries stay hidden, and repeated and low-quality frames count as vPDQ says.
/// </summary>
public sealed class VideoListIndexTests
{
    private static List<VpdqFrame> Frames(int seed, int count)
    {
        var random = new Random(seed);
        var frames = new List<VpdqFrame>();
        for (var i = 0; i < count; i++)
        {
            frames.Add(new VpdqFrame(i, 100, new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64()), i));
        }

        return frames;
    }

    [Fact]
    public void A_match_reads_the_entry_from_its_list_and_hidden_entries_stay_hidden()
    {
        var list = new HashList("videos");
        var a = list.Add(new HashListEntry(SignalTypes.Vpdq, VideoListIndex.FormatValue(Frames(1, 20))) { Label = "a", Category = "1" });
        var b = list.Add(new HashListEntry(SignalTypes.Vpdq, VideoListIndex.FormatValue(Frames(2, 20))) { Label = "b" });
        var index = new VideoListIndex([list]);
        Assert.Equal(2, index.Count);

        var match = Assert.Single(index.Match(new VideoHash { Frames = Frames(1, 20) }));
        Assert.Equal(("videos", a.Id, "a", "1"), (match.ListName, match.Entry.Id, match.Entry.Label, match.Entry.Category));
        Assert.Equal(a.Value, match.Entry.Value);
        Assert.Equal(20, match.Match.Video.FrameCount);
        Assert.Equal((100.0, 100.0), (match.Match.QueryPercent, match.Match.KnownPercent));

        Assert.True(index.SetEnabled("videos", a.Id, false));
        Assert.Empty(index.Match(new VideoHash { Frames = Frames(1, 20) }));
        Assert.True(index.SetEnabled("videos", a.Id, true));
        Assert.Single(index.Match(new VideoHash { Frames = Frames(1, 20) }));
        Assert.True(index.Remove("videos", b.Id));
        Assert.Empty(index.Match(new VideoHash { Frames = Frames(2, 20) }));
    }

    [Fact]
    public void Repeated_and_low_quality_known_frames_count_as_the_brute_force_comparison_says()
    {
        // A still scene (one hash 300 times, past the 256 timestamps kept per hash), low-quality frames, then motion.
        var motion = Frames(3, 40);
        var known = new List<VpdqFrame>();
        for (var i = 0; i < 300; i++)
        {
            known.Add(new VpdqFrame(i, 100, motion[0].Hash, i));
        }

        for (var i = 0; i < 10; i++)
        {
            known.Add(new VpdqFrame(300 + i, 10, motion[1].Hash, 300 + i));
        }

        for (var i = 2; i < 40; i++)
        {
            known.Add(motion[i] with { FrameNumber = 310 + i, Timestamp = 310 + i });
        }

        var index = new VideoIndex();
        index.Add(new KnownVideo("still-then-motion", known));
        var query = motion.GetRange(2, 30);
        var match = Assert.Single(index.Match(query, null, null));
        var (queryPercent, knownPercent) = VideoIndex.CompareBrute(query, known);
        Assert.Equal(queryPercent, match.QueryPercent, 6);
        Assert.Equal(knownPercent, match.KnownPercent, 6);
        Assert.Equal(39, index.FrameCount);

        // The query's 30 motion frames line up with the known video's seconds 312-341.
        var segment = Assert.Single(match.Segments);
        Assert.Equal((2.0, 32.0), (segment.Query.Start, segment.Query.End));
        Assert.Equal((312.0, 342.0), (segment.Known.Start, segment.Known.End));
    }
}
