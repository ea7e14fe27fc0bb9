using Needle.Hashing;
using Needle.Testing;

namespace Needle.Robust.Tests;

/// <summary>
/// The optimised-graph cache: built by the first model that loads, used by the next (a later process), the same
/// descriptors with and without it, and a damaged or stale cache file detected, reported with its reason and rebuilt.
/// </summary>
public sealed class OptimizedModelCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-model-cache-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _reports = [];

    [Fact]
    public void The_first_load_builds_the_cache_the_next_uses_it_and_every_descriptor_is_bit_identical_to_an_uncached_model()
    {
        using var uncached = new ImageDescriptorModel(new RobustModelOptions { CacheDirectory = null });
        using var first = Model();
        using var second = Model();
        var decoder = new ImageDecoder();
        var photos = Directory.GetFiles(Path.Combine(TestPaths.Pdq, "photos"), "p*.png").Order(StringComparer.Ordinal).ToArray();
        Assert.True(photos.Length >= 30);
        var compared = 0;
        foreach (var path in photos)
        {
            using var image = decoder.DecodeForDisplay(File.ReadAllBytes(path), 512);
            if (image.Width < 8 || image.Height < 8)
            {
                continue;
            }

            var expected = uncached.Describe(image);
            var built = first.Describe(image);
            var used = second.Describe(image);
            Assert.True(expected.AsSpan().SequenceEqual(built), path);
            Assert.True(expected.AsSpan().SequenceEqual(used), path);
            compared++;
        }

        Assert.True(compared >= 30);
        Assert.Equal("off", uncached.CacheOutcome);
        Assert.StartsWith("built ", first.CacheOutcome, StringComparison.Ordinal);
        Assert.StartsWith("used ", second.CacheOutcome, StringComparison.Ordinal);
        Assert.Equal([first.CacheOutcome!, second.CacheOutcome!], _reports);
        Assert.Single(Directory.GetFiles(_directory, "*.onnx"));
        Assert.Single(Directory.GetFiles(_directory, "*.manifest"));
        Assert.Single(Directory.GetFiles(_directory, "*.model"));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp*"));
    }

    [Theory]
    [InlineData("flip", "damaged: its graph file's checksum differs")]
    [InlineData("cut", "damaged: its graph file holds")]
    [InlineData("garbage", "damaged: its manifest is cut short or garbled")]
    [InlineData("runtime", "stale: made for another runtime")]
    [InlineData("model", "stale: made for another model-sha256")]
    [InlineData("no-manifest", "damaged: its manifest is missing")]
    public void A_damaged_or_stale_cache_file_is_detected_reported_with_its_reason_and_rebuilt(string damage, string reason)
    {
        var photo = Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png");
        using var image = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(photo), 512);
        float[] expected;
        using (var first = Model())
        {
            expected = first.Describe(image);
        }

        var data = Directory.GetFiles(_directory, "*.onnx").Single();
        var manifest = Directory.GetFiles(_directory, "*.manifest").Single();
        switch (damage)
        {
            case "flip":
                using (var file = File.Open(data, FileMode.Open, FileAccess.ReadWrite))
                {
                    // A weight in the middle of the file: the runtime would load it without complaint.
                    file.Position = file.Length / 2;
                    var b = file.ReadByte();
                    file.Position = file.Length / 2;
                    file.WriteByte((byte)(b ^ 0x10));
                }

                break;
            case "cut":
                using (var file = File.Open(data, FileMode.Open, FileAccess.ReadWrite))
                {
                    file.SetLength(file.Length - 4096);
                }

                break;
            case "garbage":
                File.WriteAllText(manifest, string.Join('\n', File.ReadAllLines(manifest).Take(6)) + "\nbytes x\n");
                break;
            case "runtime":
                File.WriteAllLines(manifest, File.ReadAllLines(manifest).Select(l => l.StartsWith("runtime ", StringComparison.Ordinal) ? "runtime 0.0.1" : l));
                break;
            case "model":
                File.WriteAllLines(manifest, File.ReadAllLines(manifest).Select(l => l.StartsWith("model-sha256 ", StringComparison.Ordinal) ? "model-sha256 " + new string('0', 64) : l));
                break;
            default:
                File.Delete(manifest);
                break;
        }

        using (var rebuilt = Model())
        {
            Assert.True(expected.AsSpan().SequenceEqual(rebuilt.Describe(image)));
            Assert.StartsWith("rebuilt " + data, rebuilt.CacheOutcome, StringComparison.Ordinal);
            Assert.Contains(reason, rebuilt.CacheOutcome, StringComparison.Ordinal);
        }

        using var next = Model();
        Assert.True(expected.AsSpan().SequenceEqual(next.Describe(image)));
        Assert.Equal("used " + data, next.CacheOutcome);
    }

    [Fact]
    public void A_changed_model_file_gets_its_new_identity_and_a_rebuilt_graph_while_an_unchanged_one_reuses_the_recorded_identity()
    {
        var modelPath = Path.Combine(_directory, "copy", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(modelPath)!);
        File.Copy(new RobustModelOptions().ModelPath, modelPath);
        var options = new RobustModelOptions { ModelPath = modelPath, PreprocessPath = null, CacheDirectory = _directory };
        var photo = Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png");
        using var image = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(photo), 512);
        string Sha256() => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(modelPath)));

        using (var first = new ImageDescriptorModel(options))
        {
            Assert.Equal(Sha256(), first.ModelId);
            first.Load();
            Assert.StartsWith("built ", first.CacheOutcome, StringComparison.Ordinal);
        }

        Assert.Single(Directory.GetFiles(_directory, "*.model"));
        using (var again = new ImageDescriptorModel(options))
        {
            Assert.Equal(Sha256(), again.ModelId);
            again.Load();
            Assert.StartsWith("used ", again.CacheOutcome, StringComparison.Ordinal);
        }

        // One weight changed in place: still a loadable model, of another identity.
        using (var file = File.Open(modelPath, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0x01));
        }

        using var changed = new ImageDescriptorModel(options);
        using var uncached = new ImageDescriptorModel(options with { CacheDirectory = null });
        Assert.Equal(Sha256(), changed.ModelId);
        Assert.Equal(uncached.ModelId, changed.ModelId);
        Assert.True(uncached.Describe(image).AsSpan().SequenceEqual(changed.Describe(image)));
        Assert.StartsWith("rebuilt ", changed.CacheOutcome, StringComparison.Ordinal);
        Assert.Contains("stale: made for another model-sha256", changed.CacheOutcome, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cache_folder_that_cannot_be_made_leaves_the_model_working_uncached_and_says_why()
    {
        var blocker = Path.Combine(Path.GetTempPath(), "needle-model-cache-file-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(blocker, "a file where the cache folder should be");
        try
        {
            using var model = new ImageDescriptorModel(new RobustModelOptions { CacheDirectory = Path.Combine(blocker, "sub") });
            using var plain = new ImageDescriptorModel(new RobustModelOptions { CacheDirectory = null });
            var photo = Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png");
            using var image = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(photo), 512);
            Assert.True(plain.Describe(image).AsSpan().SequenceEqual(model.Describe(image)));
            Assert.StartsWith("not cached ", model.CacheOutcome, StringComparison.Ordinal);
            Assert.Contains("cannot write the cache folder", model.CacheOutcome, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private ImageDescriptorModel Model() => new(new RobustModelOptions { CacheDirectory = _directory, CacheReport = _reports.Add });
}
