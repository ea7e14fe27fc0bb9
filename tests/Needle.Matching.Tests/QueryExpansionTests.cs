using Needle.Hashing;
using Needle.Hashing.Transforms;
using Needle.Matching.Expansion;
using Needle.Matching.Index;
using Needle.Matching.Lists;
using Needle.Testing;
using Needle.Testing.Images;
using Xunit.Abstractions;

namespace Needle.Matching.Tests;

/// <summary>
/// Issue 15, PDQ side: against a PDQ-only list of photos (hashed as `needle hash` does), edited copies are found by
/// changing the query (mirror, unletterbox, rotation sweep), and copies of photos not in the list never match.
/// </summary>
public sealed class QueryExpansionTests(ITestOutputHelper output)
{
    private static readonly ImageDecoder Decoder = new();

    /// <summary>The photos of testdata/pdq with both sides of 96 px or more (PDQ says little about thumbnails).</summary>
    private static IReadOnlyList<string> Photos() =>
        [.. Directory.GetFiles(Path.Combine(TestPaths.Pdq, "photos"), "p*.png").Order(StringComparer.Ordinal).Where(path =>
        {
            using var image = Decoder.Decode(path);
            return image.SourceWidth >= 96 && image.SourceHeight >= 96;
        })];

    private static (HashList List, string[] Listed, string[] Unlisted) PdqOnlyList()
    {
        var photos = Photos();
        var listed = photos.Where((_, i) => i % 2 == 0).ToArray();
        var unlisted = photos.Where((_, i) => i % 2 == 1).ToArray();
        var list = new HashList("pdq-only");
        var hasher = new MediaFileHasher(new MediaHashOptions(), Decoder);
        foreach (var path in listed)
        {
            var hashed = hasher.Hash(path);
            list.Add(new HashListEntry(SignalTypes.Pdq, hashed.Pdq!.Value.Hash.ToString()) { Label = Path.GetFileName(path) });
        }

        return (list, listed, unlisted);
    }

    /// <summary>What `needle scan` does: the dihedral hashes first, the expansion for a file that matched nothing.</summary>
    private static MatchResult Scan(ListMatcher matcher, PdqQueryExpander expander, byte[] file)
    {
        var hashed = new MediaFileHasher(new MediaHashOptions { Dihedral = true }, Decoder).HashBytes(file, "copy");
        var result = matcher.Match(new FileSignals { PdqDihedral = hashed.Dihedral!.Hashes.ToArray(), PdqQuality = hashed.Pdq!.Value.Quality });
        if (result.Status != MatchStatus.NoMatch)
        {
            return result;
        }

        using var image = Decoder.DecodeForDisplay(file, 512, "copy");
        return expander.Match(image);
    }

    [Theory]
    [InlineData("blackframe10", 100, "unletterbox")]
    [InlineData("rotate5", 90, "rotate5")]
    [InlineData("rotate-5", 90, "rotate-5")]
    [InlineData("mirror", 95, null)]
    public void Edited_copies_of_listed_photos_match_a_pdq_only_list(string edit, int minimumPercent, string? variant)
    {
        var (list, listed, _) = PdqOnlyList();
        using var matcher = new ListMatcher([list], () => new BruteForcePdqIndex());
        var expander = new PdqQueryExpander(matcher);
        var found = 0;
        var named = 0;
        foreach (var path in listed)
        {
            var result = Scan(matcher, expander, CopyEdits.Apply(edit, File.ReadAllBytes(path)));
            var right = result.Status == MatchStatus.Match && result.Matches[0].Entry.Label == Path.GetFileName(path);
            if (result.Status != MatchStatus.NoMatch && !right)
            {
                Assert.Fail($"{edit} of {Path.GetFileName(path)} matched {Describe(result)}");
            }

            found += right ? 1 : 0;
            named += right && result.Matches[0].Variant == variant ? 1 : 0;
            var lenient = right ? null : Scan(matcher, new PdqQueryExpander(matcher, new PdqQueryExpansionOptions { RotationMaxDistance = 64 }), CopyEdits.Apply(edit, File.ReadAllBytes(path)));
            output.WriteLine($"{edit} {Path.GetFileName(path)}: {(right ? result.Matches[0].TransformName + " d=" + result.Matches[0].Distance : "missed " + (lenient is null ? "" : Describe(lenient)))}");
        }

        output.WriteLine($"{edit}: {found}/{listed.Length}");
        Assert.True(found * 100 >= minimumPercent * listed.Length, $"{edit}: {found} of {listed.Length} found, {minimumPercent} % wanted");
        if (variant is not null)
        {
            // Most copies are named by the edit that was undone (a few match before it, e.g. a rotation inside PDQ's reach).
            Assert.True(named * 100 >= 80 * found, $"{edit}: only {named} of {found} named {variant}");
        }
    }

    private static string Describe(MatchResult result) =>
        string.Join(", ", result.Matches.Concat(result.AllowedBy).Select(m => $"{m.Entry.Label} ({m.TransformName}, {m.Distance})"));

    [Fact]
    public void Copies_of_photos_not_in_the_list_never_match()
    {
        var (list, _, unlisted) = PdqOnlyList();
        using var matcher = new ListMatcher([list], () => new BruteForcePdqIndex());
        var expander = new PdqQueryExpander(matcher);
        foreach (var path in unlisted)
        {
            foreach (var edit in (string[])["none", "blackframe10", "rotate5", "mirror", "screenshot", "crop10"])
            {
                var bytes = File.ReadAllBytes(path);
                var result = Scan(matcher, expander, edit == "none" ? bytes : CopyEdits.Apply(edit, bytes));
                if (result.Status != MatchStatus.NoMatch)
                {
                    Assert.Fail($"{edit} of {Path.GetFileName(path)} matched {Describe(result)}");
                }
            }
        }
    }

    [Fact]
    public void The_inside_of_a_black_frame_is_found_exactly()
    {
        var path = Path.Combine(TestPaths.Pdq, "photos", "p04_flowers.png");
        using var framed = Decoder.DecodeForDisplay(CopyEdits.Apply("blackframe10", File.ReadAllBytes(path)), 512);
        var rect = BorderDetector.FindContent(framed)[0];
        Assert.Equal(new PixelRect(30, 20, 300, 200), rect);
    }

    [Fact]
    public void A_picture_without_a_frame_has_no_inside_and_tiny_or_flat_pictures_do_not_fail()
    {
        using var photo = Decoder.DecodeForDisplay(File.ReadAllBytes(Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png")), 512);
        Assert.Empty(BorderDetector.FindContent(photo));
        using var tiny = new DecodedImage(new byte[3], 1, 1, PixelLayout.Rgb24);
        Assert.Empty(BorderDetector.FindContent(tiny));
        using var flat = new DecodedImage(Enumerable.Repeat((byte)7, 64 * 64).ToArray(), 64, 64, PixelLayout.Gray8);
        Assert.Empty(BorderDetector.FindContent(flat));

        var (list, _, _) = PdqOnlyList();
        using var matcher = new ListMatcher([list], () => new BruteForcePdqIndex());
        var expander = new PdqQueryExpander(matcher);
        Assert.Equal(MatchStatus.NoMatch, expander.Match(tiny).Status);
        Assert.Equal(MatchStatus.NoMatch, expander.Match(flat).Status);
    }

    [Fact]
    public void Rotating_back_restores_the_picture_inside_the_fill()
    {
        var path = Path.Combine(TestPaths.Pdq, "photos", "p04_flowers.png");
        using var original = Decoder.DecodeForDisplay(File.ReadAllBytes(path), 512);
        using var turned = Decoder.DecodeForDisplay(CopyEdits.Apply("rotate5", File.ReadAllBytes(path)), 512);
        using var back = ImageTransforms.Rotate(turned, -5);
        var inside = BorderDetector.FindContent(back)[0];
        Assert.InRange(inside.Width, 296, 304);
        Assert.InRange(inside.Height, 196, 204);
        var hasher = new Hashing.Pdq.PdqHasher();
        using var cropped = ImageTransforms.Crop(back, inside);
        Assert.InRange(hasher.Hash(cropped).Hash.HammingDistance(hasher.Hash(original).Hash), 0, 24);
    }
}
