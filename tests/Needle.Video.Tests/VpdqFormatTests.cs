using Needle.Hashing;

namespace Needle.Video.Tests;

public sealed class VpdqFormatTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    [Theory]
    [InlineData("chair-19-sd-bar.txt")]
    [InlineData("chair-22-sd-sepia-bar.txt")]
    [InlineData("pattern-sd-grey-bar.txt")]
    public void Metas_sample_hashes_round_trip_byte_for_byte(string name)
    {
        var text = File.ReadAllText(Data(name));
        var frames = VpdqFormat.Read(new StringReader(text));
        Assert.Equal(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, frames.Count);
        Assert.Equal(0, frames[0].FrameNumber);
        var writer = new StringWriter();
        VpdqFormat.Write(writer, frames);
        Assert.Equal(text, writer.ToString());
    }

    [Fact]
    public void Sample_line_is_parsed_field_by_field()
    {
        var frames = VpdqFormat.Read(new StreamReader(Data("pattern-sd-grey-bar.txt")));
        Assert.Equal(new VpdqFrame(1, 100, PdqHash.Parse("b6da98dae76e894705be12815edcdaa1d20995562fb69ff8668ba1050f449b86"), 0.033), frames[1]);
    }

    [Fact]
    public void Sample_comparisons_follow_the_vpdq_definition()
    {
        var chair19 = VpdqFormat.ReadFile(Data("chair-19-sd-bar.txt")).Single().Frames;
        var sepia = VpdqFormat.ReadFile(Data("chair-22-sd-sepia-bar.txt")).Single().Frames;
        var pattern = VpdqFormat.ReadFile(Data("pattern-sd-grey-bar.txt")).Single().Frames;
        Assert.Equal((100.0, 100.0), VideoIndex.CompareBrute(chair19, chair19));
        var (q, k) = VideoIndex.CompareBrute(chair19, sepia);
        // Every chair-19 frame has a chair-22-sepia frame within 31 bits; 563 of sepia's 656 distinct hashes are matched.
        Assert.Equal(100, q, 6);
        Assert.Equal(563 * 100.0 / 656, k, 6);
        Assert.Equal((0.0, 0.0), VideoIndex.CompareBrute(chair19, pattern));

        var index = new VideoIndex();
        index.Add(new KnownVideo("sepia", sepia));
        var match = Assert.Single(index.Match(chair19, null, null, new VpdqMatchOptions { MinKnownPercent = 0, ClipQueryPercent = 0 }));
        Assert.Equal(q, match.QueryPercent, 6);
        Assert.Equal(k, match.KnownPercent, 6);
    }

    [Fact]
    public void Bundle_round_trips_names_md5_labels_and_frames()
    {
        var a = VpdqFormat.ReadFile(Data("chair-19-sd-bar.txt")).Single();
        var b = VpdqFormat.ReadFile(Data("pattern-sd-grey-bar.txt")).Single();
        KnownVideo[] videos = [a with { Md5 = "0123456789abcdef0123456789abcdef", Label = "case 7, part 1" }, b with { Name = "a name with spaces=and equals" }];
        var writer = new StringWriter();
        VpdqFormat.WriteBundle(writer, videos);
        Assert.StartsWith(VpdqFormat.BundleMagic + "\n#video name=chair-19-sd-bar md5=0123456789abcdef0123456789abcdef label=case%207%2C%20part%201\n0,", writer.ToString(), StringComparison.Ordinal);
        var back = VpdqFormat.ReadBundle(new StringReader(writer.ToString()), "x");
        Assert.Equal(2, back.Count);
        Assert.Equal(videos[0].Md5, back[0].Md5);
        Assert.Equal(videos[0].Label, back[0].Label);
        Assert.Equal(videos[1].Name, back[1].Name);
        Assert.Equal(videos[0].Frames, back[0].Frames);
        Assert.Equal(videos[1].Frames, back[1].Frames);
    }

    [Theory]
    [InlineData("0,100,abc,0.000", "hash")]
    [InlineData("0,101,b2dc981be36c994787bc16811edcda81d20b855627b6bff86e8ba1050b44ff86,0.000", "quality")]
    [InlineData("x,100,b2dc981be36c994787bc16811edcda81d20b855627b6bff86e8ba1050b44ff86,0.000", "frame number")]
    [InlineData("0,100,b2dc981be36c994787bc16811edcda81d20b855627b6bff86e8ba1050b44ff86,-1", "timestamp")]
    [InlineData("0,100,b2dc981be36c994787bc16811edcda81d20b855627b6bff86e8ba1050b44ff86", "4 comma")]
    [InlineData("#video name=a md5=xyz", "md5")]
    public void Malformed_lines_are_reported_with_their_number(string line, string expected)
    {
        var error = Assert.Throws<FormatException>(() => VpdqFormat.ReadBundle(new StringReader("# comment\n" + line + "\n"), "v"));
        Assert.StartsWith("line 2: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
