using Needle.Matching.Lists;
using Needle.Testing.Images;

namespace Needle.Robust.Tests;

/// <summary>The cost settings of the robust tier keep its answers: fewer keypoints held, the similarity gate, the folded preprocessing.</summary>
public sealed class RobustCostTests(RobustFixture fixture) : IClassFixture<RobustFixture>
{
    [Fact]
    public void The_default_models_preprocessing_is_folded_into_the_preparation()
    {
        Assert.True(fixture.Model.PreprocessFolded);
    }

    [Fact]
    public void Descriptors_computed_on_many_threads_at_once_equal_the_one_computed_alone()
    {
        // The pooled tensors must never be shared by two calls in flight.
        var images = fixture.Listed.Take(4).Select(path => fixture.Decoder.DecodeForDisplay(File.ReadAllBytes(path), 512)).ToArray();
        try
        {
            var alone = images.Select(fixture.Model.Describe).ToArray();
            var together = new float[16][];
            Parallel.For(0, together.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => together[i] = fixture.Model.Describe(images[i % images.Length]));
            for (var i = 0; i < together.Length; i++)
            {
                Assert.Equal(alone[i % images.Length], together[i]);
            }
        }
        finally
        {
            foreach (var image in images)
            {
                image.Dispose();
            }
        }
    }

    [Fact]
    public void A_matcher_holding_fewer_keypoints_holds_less_and_still_finds_cropped_copies_with_their_source()
    {
        var full = fixture.Matcher;
        var capped = new RobustMatcher([fixture.List], new RobustFeatureExtractor(fixture.Model, new RobustMatcherOptions { HeldKeypoints = 250 }));
        Assert.Equal(full.Count, capped.Count);
        Assert.True(capped.HeldBytes < full.HeldBytes * 0.7, $"{capped.HeldBytes} bytes held with 250 keypoints, {full.HeldBytes} with all");

        // Every entry's descriptor is held as int8 + half (1.5 KiB), never as the 2 KiB float array twice.
        Assert.True(full.HeldBytes / full.Count < (512 * 3) + 4 + (500 * 36) + 1, $"{full.HeldBytes / full.Count} bytes per picture");
        foreach (var path in fixture.Listed)
        {
            using var image = fixture.Decoder.DecodeForDisplay(CopyEdits.Apply("crop10", File.ReadAllBytes(path)), 512);
            var result = capped.Match(image);
            Assert.True(result.Status == MatchStatus.Match, $"crop10 of {Path.GetFileName(path)} missed with 250 keypoints held");
            Assert.Equal(Path.GetFileName(path), result.Matches[0].Entry.Label);
        }
    }

    [Fact]
    public void Candidates_below_the_similarity_gate_are_not_checked()
    {
        var path = fixture.Listed[0];
        using var image = fixture.Decoder.DecodeForDisplay(CopyEdits.Apply("crop10", File.ReadAllBytes(path)), 512);
        Assert.Equal(MatchStatus.Match, fixture.Matcher.Match(image).Status);

        // A cosine never exceeds 1: with the gate above it nothing is checked, so nothing matches.
        var gated = new RobustMatcher([fixture.List], new RobustFeatureExtractor(fixture.Model, new RobustMatcherOptions { MinSimilarity = 1.01 }));
        Assert.Equal(MatchStatus.NoMatch, gated.Match(image).Status);
    }
}
