using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Testing;

namespace Needle.Robust.Tests;

/// <summary>
/// The default model loaded once for the test class, and a list with the robust entries of half the testdata photos
/// (the other half are the photos not in the list).
/// </summary>
public sealed class RobustFixture : IDisposable
{
    public RobustFixture()
    {
        Model = new ImageDescriptorModel(new RobustModelOptions());
        Extractor = new RobustFeatureExtractor(Model);
        var photos = Directory.GetFiles(Path.Combine(TestPaths.Pdq, "photos"), "p*.png").Order(StringComparer.Ordinal).Where(path =>
        {
            using var image = Decoder.Decode(path);
            return image.SourceWidth >= 96 && image.SourceHeight >= 96;
        }).ToArray();
        Listed = photos.Where((_, i) => i % 2 == 0).ToArray();
        Unlisted = photos.Where((_, i) => i % 2 == 1).ToArray();
        List = new HashList("originals");
        foreach (var path in Listed)
        {
            using var image = Decoder.DecodeForDisplay(File.ReadAllBytes(path), 512);
            List.Add(new HashListEntry(SignalTypes.Robust, Extractor.Extract(image)!.Encode()) { Label = Path.GetFileName(path) });
        }

        Matcher = new RobustMatcher([List], Extractor);
    }

    public ImageDecoder Decoder { get; } = new();

    public ImageDescriptorModel Model { get; }

    public RobustFeatureExtractor Extractor { get; }

    public string[] Listed { get; }

    public string[] Unlisted { get; }

    public HashList List { get; }

    public RobustMatcher Matcher { get; }

    public MatchResult Match(byte[] file)
    {
        using var image = Decoder.DecodeForDisplay(file, 512);
        return Matcher.Match(image);
    }

    public void Dispose() => Model.Dispose();
}
