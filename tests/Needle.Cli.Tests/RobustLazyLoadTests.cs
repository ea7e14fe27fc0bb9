using System.Text.Json;
using Needle.Robust;
using Needle.Testing;
using Needle.Testing.Images;

namespace Needle.Cli.Tests;

/// <summary>
/// <c>needle scan</c> with the robust tier on checks the model at start and loads it only for a file the hash tiers
/// did not match: a scan whose every file matches by hash never creates the model's sessions.
/// </summary>
public sealed class RobustLazyLoadTests : IDisposable
{
    private static readonly string[] Listed = ["p04_flowers", "p28_raccoon", "p39_giraffe"];

    private readonly TempFolder _folder = new();

    public RobustLazyLoadTests()
    {
        foreach (var name in Listed)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            _folder.Write($"originals/{name}.png", bytes);
            _folder.Write($"same/{name}.png", bytes);
            _folder.Write($"same/{name}__jpeg50.jpg", CopyEdits.Apply("jpeg50", bytes));
            _folder.Write($"cropped/{name}__crop10.png", CopyEdits.Apply("crop10", bytes));
            _folder.Write($"turned/{name}__rotate5.png", CopyEdits.Apply("rotate5", bytes));
        }
    }

    public void Dispose() => _folder.Dispose();

    private async Task<(CliRunner.Result Result, List<ImageDescriptorModel> Models, int Loads)> RunAsync(params string[] args)
    {
        var models = new List<ImageDescriptorModel>();
        var loads = 0;
        var result = await CliRunner.RunWithInputAsync(_folder.Path, "", model =>
        {
            models.Add(model);
            model.Loaded += (_, _) => Interlocked.Increment(ref loads);
        }, args);
        return (result, models, loads);
    }

    [Fact]
    public async Task A_scan_whose_every_file_matches_by_hash_never_loads_the_model_and_one_that_needs_it_loads_it_once()
    {
        var build = await RunAsync("list", "build", "originals", "-o", "list.jsonl", "--label-from-name");
        Assert.True(build.Result.ExitCode == 0, build.Result.Error);
        Assert.True(Assert.Single(build.Models).IsLoaded);

        var same = await RunAsync("scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", "same");
        Assert.True(same.Result.ExitCode == 0, same.Result.Error);
        Assert.All(same.Result.OutLines.Select(l => JsonDocument.Parse(l).RootElement), file => Assert.Equal("match", file.GetProperty("status").GetString()));
        Assert.Equal(Listed.Length * 2, same.Result.OutLines.Length);
        Assert.False(Assert.Single(same.Models).IsLoaded);
        Assert.Equal(0, same.Loads);

        var cropped = await RunAsync("scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", "cropped");
        Assert.True(cropped.Result.ExitCode == 0, cropped.Result.Error);
        foreach (var file in cropped.Result.OutLines.Select(l => JsonDocument.Parse(l).RootElement))
        {
            Assert.Equal("robust", file.GetProperty("matches")[0].GetProperty("signal").GetString());
        }

        Assert.True(Assert.Single(cropped.Models).IsLoaded);
        Assert.Equal(1, cropped.Loads);
    }

    [Fact]
    public async Task The_optimised_model_cache_is_built_by_one_scan_used_by_the_next_and_rebuilt_with_its_reason_when_damaged()
    {
        var build = await RunAsync("list", "build", "originals", "-o", "list.jsonl", "--label-from-name", "--robust-cache", "off");
        Assert.True(build.Result.ExitCode == 0, build.Result.Error);
        Assert.Equal("off", Assert.Single(build.Models).CacheOutcome);

        string[] Scan() => ["scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", "--robust-cache", "cache", "cropped", "turned"];
        var first = await RunAsync(Scan());
        Assert.True(first.Result.ExitCode == 0, first.Result.Error);
        Assert.StartsWith("built " + _folder.File("cache"), Assert.Single(first.Models).CacheOutcome, StringComparison.Ordinal);
        Assert.DoesNotContain("robust model cache", first.Result.Error, StringComparison.Ordinal);
        Assert.Equal(Listed.Length * 2, first.Result.OutLines.Count(l => l.Contains("\"status\":\"match\"", StringComparison.Ordinal)));

        var second = await RunAsync(Scan());
        Assert.True(second.Result.ExitCode == 0, second.Result.Error);
        Assert.StartsWith("used ", Assert.Single(second.Models).CacheOutcome, StringComparison.Ordinal);
        Assert.Equal(first.Result.OutLines, second.Result.OutLines);

        var data = Directory.GetFiles(_folder.File("cache"), "*.onnx").Single();
        using (var file = File.Open(data, FileMode.Open, FileAccess.ReadWrite))
        {
            file.SetLength(file.Length / 2);
        }

        var third = await RunAsync(Scan());
        Assert.True(third.Result.ExitCode == 0, third.Result.Error);
        Assert.Contains($"robust model cache: rebuilt {data} (damaged: its graph file holds", third.Result.Error, StringComparison.Ordinal);
        Assert.Equal(first.Result.OutLines, third.Result.OutLines);
        Assert.StartsWith("used ", Assert.Single((await RunAsync(Scan())).Models).CacheOutcome, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_file_that_is_not_onnx_stops_the_scan_before_any_file_naming_it()
    {
        File.WriteAllText(_folder.File("list.jsonl"), "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"x\"}\n");
        File.WriteAllText(_folder.File("garbage.onnx"), "this is not a model, only text");
        var scan = await RunAsync("scan", "--against", "list.jsonl", "--robust", "always", "--robust-model", "garbage.onnx", "same");
        Assert.Equal(2, scan.Result.ExitCode);
        Assert.Contains(_folder.File("garbage.onnx"), scan.Result.Error, StringComparison.Ordinal);
        Assert.Contains("not an ONNX model", scan.Result.Error, StringComparison.Ordinal);
        Assert.Empty(scan.Result.Out);
        Assert.Empty(scan.Models);
    }

    [Fact]
    public async Task With_robust_entries_in_every_list_a_turned_copy_is_found_by_the_robust_tier_and_a_pdq_only_list_still_finds_it_by_the_sweep()
    {
        var build = await RunAsync("list", "build", "originals", "-o", "list.jsonl", "--label-from-name");
        Assert.True(build.Result.ExitCode == 0, build.Result.Error);
        var hashOnly = await RunAsync("list", "build", "originals", "-o", "hashes.jsonl", "--label-from-name", "--no-robust");
        Assert.True(hashOnly.Result.ExitCode == 0, hashOnly.Result.Error);

        foreach (var (list, signal, transform) in new[] { ("list.jsonl", "robust", "robust("), ("hashes.jsonl", "pdq", "rotate") })
        {
            var scan = await RunAsync("scan", "--against", list, "--format", "jsonl", "--no-clues", "turned");
            Assert.True(scan.Result.ExitCode == 0, scan.Result.Error);
            Assert.Equal(Listed.Length, scan.Result.OutLines.Length);
            foreach (var file in scan.Result.OutLines.Select(l => JsonDocument.Parse(l).RootElement))
            {
                var match = file.GetProperty("matches")[0];
                Assert.Equal(Path.GetFileName(file.GetProperty("path").GetString()!).Split("__")[0] + ".png", match.GetProperty("label").GetString());
                Assert.Equal(signal, match.GetProperty("signal").GetString());
                Assert.StartsWith(transform, match.GetProperty("transform").GetString(), StringComparison.Ordinal);
            }
        }
    }
}
