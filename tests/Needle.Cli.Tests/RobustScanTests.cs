using System.Text.Json;
using Needle.Testing;
using Needle.Testing.Images;

namespace Needle.Cli.Tests;

/// <summary>
/// Issue 15 end to end: <c>needle list build</c> from originals, then <c>needle scan --against</c> the list over edited
/// copies (the robust tier runs for what no hash matched) and over unrelated photos and their copies.
/// </summary>
public sealed class RobustScanTests : IDisposable
{
    private static readonly string[] Listed = ["p01_keong_macan", "p04_flowers", "p07_gophers", "p18_interior_pano", "p28_raccoon", "p30_camel", "p33_squirrel", "p39_giraffe"];

    private static readonly string[] Unrelated = ["p02_bliznaca", "p06_yellow_rose", "p15_city_pano", "p29_koala", "p36_defocused_text"];

    private readonly TempFolder _folder = new();

    public RobustScanTests()
    {
        foreach (var name in Listed)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            _folder.Write($"originals/{name}.png", bytes);
            foreach (var edit in CopyEdits.All)
            {
                _folder.Write($"incoming/{name}__{edit}.{(edit == "jpeg50" ? "jpg" : "png")}", CopyEdits.Apply(edit, bytes));
            }
        }

        foreach (var name in Unrelated)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            _folder.Write($"incoming/unrelated_{name}.png", bytes);
            foreach (var edit in (string[])["crop10", "screenshot", "mirror"])
            {
                _folder.Write($"incoming/unrelated_{name}__{edit}.png", CopyEdits.Apply(edit, bytes));
            }
        }
    }

    public void Dispose() => _folder.Dispose();

    private async Task<Dictionary<string, JsonElement>> ScanAsync(params string[] extra)
    {
        var scan = await CliRunner.RunAsync(_folder.Path, ["scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", .. extra, "incoming"]);
        Assert.True(scan.ExitCode == 0, scan.Error);
        return scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileNameWithoutExtension(e.GetProperty("path").GetString()!));
    }

    [Fact]
    public async Task A_list_built_from_originals_finds_every_kind_of_edited_copy_and_nothing_unrelated()
    {
        var build = await CliRunner.RunAsync(_folder.Path, "list", "build", "originals", "-o", "list.jsonl", "--label-from-name");
        Assert.True(build.ExitCode == 0, build.Error);
        var lines = File.ReadAllLines(_folder.File("list.jsonl"));
        Assert.Contains("needle-hashlist", lines[0], StringComparison.Ordinal);
        var entries = lines.Skip(1).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var name in Listed)
        {
            var types = entries.Where(e => e.GetProperty("label").GetString() == name + ".png").Select(e => e.GetProperty("signalType").GetString()!).Order().ToArray();
            Assert.Equal(new[] { "md5", "pdq", "robust", "sha1", "sha256" }, types);
        }

        var files = await ScanAsync();
        var robustMatches = 0;
        foreach (var name in Listed)
        {
            foreach (var edit in CopyEdits.All)
            {
                var file = files[$"{name}__{edit}"];
                Assert.True(file.GetProperty("status").GetString() == "match", $"{name} {edit} was not matched");
                var match = file.GetProperty("matches")[0];
                Assert.Equal(name + ".png", match.GetProperty("label").GetString());
                if (match.GetProperty("signal").GetString() == "robust")
                {
                    robustMatches++;
                    Assert.StartsWith("robust(", match.GetProperty("transform").GetString(), StringComparison.Ordinal);
                    Assert.InRange(match.GetProperty("robust").GetProperty("inliers").GetInt32(), 15, 2000);
                }
            }

            // A crop is beyond PDQ and its query edits: the robust tier finds it and says which part of the picture it shows.
            var crop = files[$"{name}__crop10"].GetProperty("matches")[0];
            Assert.Equal("robust", crop.GetProperty("signal").GetString());
            var box = crop.GetProperty("robust").GetProperty("crop").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.InRange(box[2], 0.8, 0.97);
        }

        Assert.True(robustMatches >= Listed.Length, $"only {robustMatches} robust matches");
        foreach (var (name, file) in files.Where(f => f.Key.StartsWith("unrelated_", StringComparison.Ordinal)))
        {
            Assert.True(file.GetProperty("status").GetString() == "no-match", $"{name} matched {file.GetProperty("matches")}");
        }
    }

    [Fact]
    public async Task With_the_robust_tier_off_crops_are_missed_and_frames_still_found_by_unletterbox()
    {
        var build = await CliRunner.RunAsync(_folder.Path, "list", "build", "originals", "-o", "list.jsonl", "--label-from-name", "--no-robust");
        Assert.True(build.ExitCode == 0, build.Error);
        Assert.DoesNotContain("\"robust\"", File.ReadAllText(_folder.File("list.jsonl")), StringComparison.Ordinal);
        var files = await ScanAsync("--robust", "off");
        foreach (var name in Listed)
        {
            Assert.Equal("no-match", files[$"{name}__crop10"].GetProperty("status").GetString());
            var framed = files[$"{name}__blackframe10"];
            Assert.Equal("match", framed.GetProperty("status").GetString());
            Assert.Equal("unletterbox", framed.GetProperty("matches")[0].GetProperty("transform").GetString());
        }
    }

    [Fact]
    public async Task A_missing_robust_model_stops_the_run_before_any_file_naming_the_model()
    {
        var build = await CliRunner.RunAsync(_folder.Path, "list", "build", "originals", "-o", "list.jsonl", "--robust-model", "no-such-model.onnx");
        Assert.Equal(2, build.ExitCode);
        Assert.Contains(Path.Combine(_folder.Path, "no-such-model.onnx"), build.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("list.jsonl")));

        File.WriteAllText(_folder.File("list.jsonl"), "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"x\"}\n");
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "list.jsonl", "--robust", "always", "--robust-model", "no-such-model.onnx", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("no-such-model.onnx", scan.Error, StringComparison.Ordinal);
        Assert.Empty(scan.Out);
    }
}
