using System.Text.Json;
using Needle.Testing;
using Needle.Testing.Images;

namespace Needle.Cli.Tests;

/// <summary>
/// Turned copies (1-10 degrees both ways, also mirrored) through <c>needle scan</c>: against a list whose every picture
/// has its robust entry the robust tier finds them, and the rotation sweep after it (on a 256-px copy) the few it
/// misses; a PDQ-only list, a mixed scan and <c>--robust off</c> find them by the usual sweep, and a list with a picture
/// lacking its robust entry by the usual sweep after the robust tier. The sweep is never skipped: the robust tier alone
/// misses some turned copies that the sweep finds (<c>robust-eval --rotations</c>, docs/benchmarks.md).
/// </summary>
public sealed class RotationSweepTests : IDisposable
{
    private static readonly string[] Listed = ["p04_flowers", "p28_raccoon", "p39_giraffe"];

    private static readonly string[] Unlisted = ["p02_bliznaca", "p06_yellow_rose", "p29_koala"];

    private static readonly string[] Turns = ["rotate2", "rotate-2", "rotate5", "rotate-5", "rotate10", "rotate-10"];

    private static readonly string[] MirroredTurns = ["mirror-rotate3", "mirror-rotate-7"];

    private readonly TempFolder _folder = new();

    public RotationSweepTests()
    {
        foreach (var name in Listed)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            _folder.Write($"originals/{name}.png", bytes);
            _folder.Write($"{(name == "p39_giraffe" ? "second" : "first")}/{name}.png", bytes);
            foreach (var edit in Turns)
            {
                _folder.Write($"turned/{name}__{edit}.png", CopyEdits.Apply(edit, bytes));
            }

            foreach (var edit in MirroredTurns)
            {
                _folder.Write($"mirrored/{name}__{edit}.png", CopyEdits.Apply(edit, bytes));
            }
        }

        // A 102-px low-contrast micrograph: the robust tier misses it turned by 1, 3, 7 or 10 degrees (too few keypoints
        // agree), the rotation sweep after it finds it.
        var micrograph = File.ReadAllBytes(TestPaths.PdqFile("photos/p25_retina_crop_grey.png"));
        _folder.Write("small/p25_retina_crop_grey.png", micrograph);
        foreach (var edit in (string[])["rotate1", "rotate3", "rotate-7", "rotate10"])
        {
            _folder.Write($"small-turned/p25_retina_crop_grey__{edit}.png", CopyEdits.Apply(edit, micrograph));
        }

        foreach (var name in Unlisted)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            foreach (var edit in (string[])["rotate3", "rotate-5", "rotate10", "mirror-rotate5"])
            {
                _folder.Write($"unlisted/{name}__{edit}.png", CopyEdits.Apply(edit, bytes));
            }
        }
    }

    public void Dispose() => _folder.Dispose();

    private async Task BuildAsync(string folder, string target, params string[] extra)
    {
        var build = await CliRunner.RunAsync(_folder.Path, ["list", "build", folder, "-o", target, "--label-from-name", .. extra]);
        Assert.True(build.ExitCode == 0, build.Error);
    }

    private async Task<List<JsonElement>> ScanAsync(params string[] args)
    {
        var scan = await CliRunner.RunAsync(_folder.Path, ["scan", "--format", "jsonl", "--no-clues", .. args]);
        Assert.True(scan.ExitCode == 0, scan.Error);
        return [.. scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement)];
    }

    private static string Source(JsonElement file) => Path.GetFileName(file.GetProperty("path").GetString()!).Split("__")[0] + ".png";

    /// <summary>Every file matched its own picture, with the signal and transform prefix given for its picture.</summary>
    private static void AssertFound(List<JsonElement> files, int count, Func<string, (string Signal, string Transform)> expected)
    {
        Assert.Equal(count, files.Count);
        foreach (var file in files)
        {
            Assert.True(file.GetProperty("status").GetString() == "match", file.GetProperty("path").GetString());
            var match = file.GetProperty("matches")[0];
            Assert.Equal(Source(file), match.GetProperty("label").GetString());
            var (signal, transform) = expected(Source(file));
            Assert.True(signal == match.GetProperty("signal").GetString(), $"{file.GetProperty("path")}: {match}");
            Assert.True(match.GetProperty("transform").GetString()!.StartsWith(transform, StringComparison.Ordinal), $"{file.GetProperty("path")}: {match}");
        }
    }

    [Fact]
    public async Task Against_a_list_whose_every_picture_has_a_robust_entry_turned_copies_both_ways_and_mirrored_are_found_by_the_robust_tier_and_unlisted_ones_by_nothing()
    {
        await BuildAsync("originals", "list.jsonl");

        AssertFound(await ScanAsync("--against", "list.jsonl", "turned"), Listed.Length * Turns.Length, _ => ("robust", "robust("));
        AssertFound(await ScanAsync("--against", "list.jsonl", "mirrored"), Listed.Length * MirroredTurns.Length, _ => ("robust", "robust("));

        var unlisted = await ScanAsync("--against", "list.jsonl", "unlisted");
        Assert.Equal(Unlisted.Length * 4, unlisted.Count);
        Assert.All(unlisted, file => Assert.True(file.GetProperty("status").GetString() == "no-match", file.ToString()));
    }

    [Fact]
    public async Task Against_a_list_whose_every_picture_has_a_robust_entry_the_turned_copies_the_robust_tier_misses_are_found_by_the_sweep_after_it()
    {
        await BuildAsync("small", "small.jsonl");
        AssertFound(await ScanAsync("--against", "small.jsonl", "small-turned"), 4, _ => ("pdq", "rotate"));
    }

    [Fact]
    public async Task A_pdq_only_list_and_robust_off_find_turned_copies_by_the_rotation_sweep()
    {
        await BuildAsync("originals", "hashes.jsonl", "--no-robust");
        await BuildAsync("originals", "list.jsonl");

        AssertFound(await ScanAsync("--against", "hashes.jsonl", "turned"), Listed.Length * Turns.Length, _ => ("pdq", "rotate"));
        AssertFound(await ScanAsync("--against", "list.jsonl", "--robust", "off", "turned"), Listed.Length * Turns.Length, _ => ("pdq", "rotate"));

        var unlisted = await ScanAsync("--against", "hashes.jsonl", "unlisted");
        Assert.All(unlisted, file => Assert.True(file.GetProperty("status").GetString() == "no-match", file.ToString()));
    }

    [Fact]
    public async Task A_mixed_scan_and_a_list_with_a_picture_lacking_its_robust_entry_keep_the_sweep_for_that_picture()
    {
        // One robust list (two pictures) and one PDQ-only list (the third picture): the usual order, the sweep before the
        // robust tier, so every turned copy is found by the sweep.
        await BuildAsync("first", "robust.jsonl");
        await BuildAsync("second", "pdq.jsonl", "--no-robust");
        AssertFound(await ScanAsync("--against", "robust.jsonl", "--against", "pdq.jsonl", "turned"), Listed.Length * Turns.Length, _ => ("pdq", "rotate"));

        // One list of all three, the third picture's robust entry taken out: its turned copies need the sweep.
        await BuildAsync("originals", "list.jsonl");
        var lines = File.ReadAllLines(_folder.File("list.jsonl"));
        var kept = lines.Where(l => !(l.Contains("\"robust\"", StringComparison.Ordinal) && l.Contains("p39_giraffe", StringComparison.Ordinal))).ToArray();
        Assert.Equal(lines.Length - 1, kept.Length);
        File.WriteAllLines(_folder.File("partial.jsonl"), kept);
        AssertFound(await ScanAsync("--against", "partial.jsonl", "turned"), Listed.Length * Turns.Length,
            source => source == "p39_giraffe.png" ? ("pdq", "rotate") : ("robust", "robust("));
    }
}
