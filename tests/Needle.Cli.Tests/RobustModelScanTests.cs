using System.Text.Json;
using Needle.Matching.Lists;
using Needle.Robust;
using Needle.Testing;
using Needle.Testing.Images;

namespace Needle.Cli.Tests;

/// <summary>
/// Robust entries name the model that made them: a list built with another model (a copy of the default ResNet18 with
/// weights changed) is written as <c>r2.</c> values; scanned with the default model its robust entries are skipped with
/// one warning naming the list and both models (no false match, no error); scanned with its own model they match.
/// </summary>
public sealed class RobustModelScanTests : IDisposable
{
    private static readonly string[] Listed = ["p01_keong_macan", "p28_raccoon"];

    private readonly TempFolder _folder = new();

    public RobustModelScanTests()
    {
        foreach (var name in Listed)
        {
            var bytes = File.ReadAllBytes(TestPaths.PdqFile($"photos/{name}.png"));
            _folder.Write($"originals/{name}.png", bytes);
            _folder.Write($"incoming/{name}__crop10.png", CopyEdits.Apply("crop10", bytes));
        }

        // As in the application tests: 4 KiB of one last-stage convolution's weights changed, the shape kept.
        var model = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, RobustModelOptions.DefaultModelFile));
        for (var i = 0; i < 4096; i++)
        {
            model[(model.Length / 2) + i] ^= 1;
        }

        _folder.Write("changed.onnx", model);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_list_built_with_another_model_is_skipped_with_one_warning_and_matches_with_its_own_model()
    {
        var build = await CliRunner.RunAsync(_folder.Path, "list", "build", "originals", "-o", "list.jsonl", "--robust-model", "changed.onnx");
        Assert.True(build.ExitCode == 0, build.Error);
        var robust = File.ReadAllLines(_folder.File("list.jsonl")).Skip(1).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("signalType").GetString() == "robust").Select(e => e.GetProperty("value").GetString()!).ToList();
        Assert.Equal(Listed.Length, robust.Count);
        Assert.All(robust, v => Assert.StartsWith("r2.", v, StringComparison.Ordinal));
        Assert.True(RobustFeatures.TryDecode(robust[0], out var entry, out _));
        Assert.NotEqual(RobustFeatures.DefaultModelId, entry.ModelId);

        // The default model: the entries are skipped, said once for the list, naming both models; the crops match nothing.
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", "--robust", "always", "incoming");
        Assert.True(scan.ExitCode == 0, scan.Error);
        var warning = Assert.Single(scan.Error.Split('\n'), l => l.Contains("list 'list'", StringComparison.Ordinal));
        Assert.StartsWith("warning:", warning, StringComparison.Ordinal);
        Assert.Contains(entry.ModelId, warning, StringComparison.Ordinal);
        Assert.Contains(RobustFeatures.DefaultModelId, warning, StringComparison.Ordinal);
        Assert.All(scan.OutLines, l => Assert.Equal("no-match", JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()));

        // Its own model: the crops are found by the robust tier, with no warning.
        scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "list.jsonl", "--format", "jsonl", "--no-clues", "--robust-model", "changed.onnx", "incoming");
        Assert.True(scan.ExitCode == 0, scan.Error);
        Assert.DoesNotContain("warning:", scan.Error, StringComparison.Ordinal);
        Assert.Equal(Listed.Length, scan.OutLines.Length);
        foreach (var line in scan.OutLines)
        {
            var file = JsonDocument.Parse(line).RootElement;
            Assert.Equal("match", file.GetProperty("status").GetString());
            Assert.Equal("robust", file.GetProperty("matches")[0].GetProperty("signal").GetString());
        }
    }
}
