#if NEEDLE_MAGICK
using System.Text.Json;
using ImageMagick;
using Needle.Testing.Images;

namespace Needle.Cli.Tests;

/// <summary>`needle scan` matches every frame of an animation (GIF, APNG), as the server does, and names the frame.</summary>
public sealed class AnimationScanTests
{
    [Fact]
    public async Task A_listed_picture_as_a_middle_frame_of_a_gif_or_apng_is_matched_with_its_frame_number()
    {
        using var folder = new TempFolder();
        var frames = TestAnimations.Frames();
        folder.Write("known/frame-picture.png", TestAnimations.Png(frames[2]));
        folder.Write("in/funny.gif", TestAnimations.Write(MagickFormat.Gif, frames));
        folder.Write("in/funny.png", TestApng.Write(frames));
        var list = await CliRunner.RunAsync(folder.Path, "hash", "known");
        Assert.Equal(0, list.ExitCode);
        File.WriteAllText(folder.File("known.csv"), list.Out);

        var jsonl = await CliRunner.RunAsync(folder.Path, "scan", "--against", "known.csv", "--format", "jsonl", "in");
        var csv = await CliRunner.RunAsync(folder.Path, "scan", "--against", "known.csv", "in");

        Assert.Equal(0, jsonl.ExitCode);
        var files = jsonl.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("path").GetString()!));
        foreach (var name in new[] { "funny.gif", "funny.png" })
        {
            Assert.Equal("match", files[name].GetProperty("status").GetString());
            var match = Assert.Single(files[name].GetProperty("matches").EnumerateArray());
            Assert.Equal("frame-picture.png", match.GetProperty("label").GetString());
            Assert.Equal(2, match.GetProperty("frame").GetInt32());
        }

        Assert.Equal(0, csv.ExitCode);
        var header = csv.OutLines[0].Split(',');
        var frameColumn = Array.IndexOf(header, "frame");
        Assert.Equal(Array.IndexOf(header, "transform") + 1, frameColumn);
        var rows = csv.OutLines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.All(rows, row => Assert.Equal(("match", "2"), (row[1], row[frameColumn])));
    }
}
#endif
