using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Testing.Images;
using Xunit.Abstractions;

namespace Needle.Robust.Tests;

/// <summary>Issue 15's robust tier goals, in shape: edited copies of listed photos are found with the right source, unrelated photos never match.</summary>
public sealed class RobustMatcherTests(RobustFixture fixture, ITestOutputHelper output) : IClassFixture<RobustFixture>
{
    [Theory]
    [InlineData("crop10", 96)]
    [InlineData("rotate5", 96)]
    [InlineData("mirror", 96)]
    [InlineData("watermark", 96)]
    [InlineData("blackframe10", 96)]
    [InlineData("screenshot", 96)]
    // The robust tier alone misses these two for p25, a 102-px low-contrast micrograph (too few keypoints once
    // halved or recompressed); in a scan PDQ finds them first (RobustScanTests checks the whole pipeline at 100 %).
    [InlineData("jpeg50", 94)]
    [InlineData("half", 94)]
    [InlineData("grey", 100)]
    [InlineData("gamma", 100)]
    public void Edited_copies_of_listed_photos_are_found_with_their_source(string edit, int minimumPercent)
    {
        var found = 0;
        foreach (var path in fixture.Listed)
        {
            var result = fixture.Match(CopyEdits.Apply(edit, File.ReadAllBytes(path)));
            if (result.Status == MatchStatus.Match)
            {
                var best = result.Matches[0];
                Assert.True(best.Entry.Label == Path.GetFileName(path), $"{edit} of {Path.GetFileName(path)} matched {best.Entry.Label}");
                Assert.Equal("robust", best.SignalType.Name);
                Assert.Equal(RobustMatcher.Variant, best.Variant);
                Assert.All(result.Matches, m => Assert.Equal(Path.GetFileName(path), m.Entry.Label));
                output.WriteLine($"{edit} {Path.GetFileName(path)}: {best.Robust!.Inliers} inliers, {best.Robust.Describe()}, similarity {best.Robust.Similarity}");
                found++;
            }
            else
            {
                output.WriteLine($"{edit} {Path.GetFileName(path)}: missed");
            }
        }

        output.WriteLine($"{edit}: {found}/{fixture.Listed.Length}");
        Assert.True(found * 100 >= minimumPercent * fixture.Listed.Length, $"{edit}: {found} of {fixture.Listed.Length} found, {minimumPercent} % wanted");
    }

    [Fact]
    public void The_transform_is_reported_for_a_mirrored_rotated_and_cropped_copy()
    {
        var path = fixture.Listed.First(p => p.Contains("p01_", StringComparison.Ordinal));
        var mirrored = fixture.Match(CopyEdits.Apply("mirror", File.ReadAllBytes(path))).Matches[0].Robust!;
        Assert.True(mirrored.Mirrored);
        var rotated = fixture.Match(CopyEdits.Apply("rotate5", File.ReadAllBytes(path))).Matches[0].Robust!;
        Assert.False(rotated.Mirrored);
        Assert.InRange(rotated.RotationDegrees, 4, 6);
        var cropped = fixture.Match(CopyEdits.Apply("crop10", File.ReadAllBytes(path))).Matches[0].Robust!;
        Assert.InRange(cropped.CropX, 0.02, 0.08);
        Assert.InRange(cropped.CropWidth, 0.85, 0.95);
        Assert.InRange(cropped.Similarity, 0.5, 1);
    }

    [Fact]
    public void Photos_not_in_the_list_and_their_copies_never_match()
    {
        foreach (var path in fixture.Unlisted)
        {
            foreach (var edit in (string[])["none", .. CopyEdits.All])
            {
                var bytes = File.ReadAllBytes(path);
                var result = fixture.Match(edit == "none" ? bytes : CopyEdits.Apply(edit, bytes));
                if (result.Status != MatchStatus.NoMatch)
                {
                    Assert.Fail($"{edit} of {Path.GetFileName(path)} matched {result.Matches[0].Entry.Label} with {result.Matches[0].Robust!.Inliers} inliers");
                }
            }
        }
    }

    [Fact]
    public void Tiny_flat_and_featureless_pictures_give_no_match_and_no_error()
    {
        using var tiny = new DecodedImage(new byte[3], 1, 1, PixelLayout.Rgb24);
        Assert.Equal(MatchStatus.NoMatch, fixture.Matcher.Match(tiny).Status);
        Assert.Null(fixture.Extractor.Extract(tiny));
        using var flat = new DecodedImage(Enumerable.Repeat((byte)90, 300 * 200 * 3).ToArray(), 300, 200, PixelLayout.Rgb24);
        Assert.Equal(MatchStatus.NoMatch, fixture.Matcher.Match(flat).Status);
        Assert.Equal(0, fixture.Extractor.Extract(flat)!.KeypointCount);
        var gradient = new byte[256 * 256];
        for (var i = 0; i < gradient.Length; i++)
        {
            gradient[i] = (byte)(i % 256);
        }

        using var smooth = new DecodedImage(gradient, 256, 256, PixelLayout.Gray8);
        Assert.Equal(MatchStatus.NoMatch, fixture.Matcher.Match(smooth).Status);
    }

    [Fact]
    public void A_missing_model_file_is_a_start_up_error_naming_the_file()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N") + ".onnx");
        var error = Assert.Throws<RobustStartupException>(() => new ImageDescriptorModel(RobustModelOptions.ForModel(missing)));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_file_that_is_not_onnx_is_a_start_up_error_naming_the_file()
    {
        var bad = Path.Combine(Path.GetTempPath(), "bad-model-" + Guid.NewGuid().ToString("N") + ".onnx");
        File.WriteAllText(bad, "not a model");
        try
        {
            var error = Assert.Throws<RobustStartupException>(() => new ImageDescriptorModel(RobustModelOptions.ForModel(bad)));
            Assert.Contains(bad, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public void The_default_model_gives_a_unit_length_512_value_descriptor()
    {
        Assert.Equal(512, fixture.Model.Dimension);
        using var image = fixture.Decoder.DecodeForDisplay(File.ReadAllBytes(fixture.Listed[0]), 512);
        var descriptor = fixture.Model.Describe(image);
        Assert.Equal(512, descriptor.Length);
        Assert.InRange(DescriptorKernel.Dot(descriptor, descriptor), 0.999f, 1.001f);
    }

    [Fact]
    public void A_robust_entry_survives_the_list_value_round_trip()
    {
        using var image = fixture.Decoder.DecodeForDisplay(File.ReadAllBytes(fixture.Listed[1]), 512);
        var features = fixture.Extractor.Extract(image)!;
        var value = features.Encode();
        Assert.True(RobustFeatures.TryDecode(value, out var back, out var problem), problem);
        Assert.Equal(features.KeypointCount, back.KeypointCount);
        Assert.Equal(features.KeypointDescriptors, back.KeypointDescriptors);
        Assert.InRange(DescriptorKernel.Dot(features.Descriptor, back.Descriptor), 0.999f, 1.001f);
        Assert.Equal(value, new HashListEntry(SignalTypes.Robust, value).Value);
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Robust, "r1.AAAA"));
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Robust, value[..^8]));
    }
}
