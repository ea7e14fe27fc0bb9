using Needle.Hashing;
using Needle.Testing;

namespace Needle.Robust.Tests;

/// <summary>
/// The model is checked when made and loaded on first need, once: a scan whose every file matches by hash never
/// creates its sessions; a missing, garbage or cut-short model file is still an error at construction naming the file.
/// </summary>
public sealed class RobustModelLoadTests
{
    private static string DefaultModel => new RobustModelOptions().ModelPath;

    [Fact]
    public void Making_the_model_reads_its_shape_without_loading_it_and_the_first_descriptor_loads_it_once_for_every_thread()
    {
        using var model = new ImageDescriptorModel(new RobustModelOptions());
        var loads = 0;
        model.Loaded += (_, _) => Interlocked.Increment(ref loads);
        Assert.Equal(512, model.Dimension);
        Assert.False(model.IsLoaded);
        _ = new RobustFeatureExtractor(model);
        Assert.False(model.IsLoaded);

        var decoder = new ImageDecoder();
        var photo = Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png");
        using var image = decoder.DecodeForDisplay(File.ReadAllBytes(photo), 512);
        var descriptors = new float[4][];
        using var start = new Barrier(descriptors.Length);
        var threads = Enumerable.Range(0, descriptors.Length).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            descriptors[i] = model.Describe(image);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.True(model.IsLoaded);
        Assert.Equal(1, loads);
        Assert.True(model.PreprocessFolded);
        Assert.All(descriptors, d => Assert.Equal(descriptors[0], d));
        _ = model.Describe(image);
        Assert.Equal(1, loads);
    }

    [Fact]
    public void A_robust_matcher_over_a_list_does_not_load_the_model_until_it_matches_a_picture()
    {
        using var model = new ImageDescriptorModel(new RobustModelOptions());
        var matcher = new RobustMatcher([new Needle.Matching.Lists.HashList("empty")], new RobustFeatureExtractor(model));
        Assert.Equal(0, matcher.Count);
        Assert.False(model.IsLoaded);
    }

    [Fact]
    public void A_model_file_cut_short_is_a_start_up_error_naming_the_file()
    {
        var cut = Path.Combine(Path.GetTempPath(), "cut-model-" + Guid.NewGuid().ToString("N") + ".onnx");
        using (var source = File.OpenRead(DefaultModel))
        using (var target = File.Create(cut))
        {
            var head = new byte[64 * 1024];
            source.ReadExactly(head);
            target.Write(head);
        }

        try
        {
            var error = Assert.Throws<RobustStartupException>(() => new ImageDescriptorModel(RobustModelOptions.ForModel(cut)));
            Assert.Contains(cut, error.Message, StringComparison.Ordinal);
            Assert.Contains("not an ONNX model", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(cut);
        }
    }

    [Fact]
    public void A_preprocessing_model_that_is_missing_is_a_start_up_error_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-prep-" + Guid.NewGuid().ToString("N") + ".onnx");
        var error = Assert.Throws<RobustStartupException>(() => new ImageDescriptorModel(RobustModelOptions.ForModel(DefaultModel, missing)));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_of_the_wrong_shape_is_a_start_up_error_naming_the_file()
    {
        // The preprocessing model takes raw planes and gives planes: 3 x 224 x 224 values, not a descriptor.
        var prep = new RobustModelOptions().PreprocessPath!;
        var error = Assert.Throws<RobustStartupException>(() => new ImageDescriptorModel(RobustModelOptions.ForModel(prep)));
        Assert.Contains(prep, error.Message, StringComparison.Ordinal);
    }
}
