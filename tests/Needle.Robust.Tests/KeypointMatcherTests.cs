using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Testing;
using OpenCvSharp;

namespace Needle.Robust.Tests;

/// <summary>The managed two-nearest match must pair keypoints exactly as OpenCV's brute-force match did (same results).</summary>
public sealed class KeypointMatcherTests
{
    [Fact]
    public void Pairs_real_keypoints_as_OpenCV_brute_force_does()
    {
        var decoder = new ImageDecoder();
        var photos = Directory.GetFiles(Path.Combine(TestPaths.Pdq, "photos"), "p*.png").Order(StringComparer.Ordinal).Take(4).ToArray();
        var features = new List<LocalFeatures>();
        foreach (var path in photos)
        {
            using var image = decoder.DecodeForDisplay(File.ReadAllBytes(path), 512);
            features.Add(LocalFeatureExtractor.Extract(image, 500));
            features.Add(LocalFeatureExtractor.Extract(image, 500, mirror: true));
        }

        foreach (var query in features)
        {
            foreach (var listed in features)
            {
                AssertSameAsOpenCv(query.Descriptors, query.Count, listed.Descriptors, listed.Count);
            }
        }
    }

    [Fact]
    public void Breaks_ties_as_OpenCV_brute_force_does()
    {
        // Few distinct descriptors, repeated: many equal distances, for the best and the second best alike.
        var random = new Random(11);
        var distinct = new byte[6][];
        for (var i = 0; i < distinct.Length; i++)
        {
            distinct[i] = new byte[RobustFeatures.KeypointDescriptorBytes];
            random.NextBytes(distinct[i]);
        }

        byte[] Pick(int count) => [.. Enumerable.Range(0, count).SelectMany(_ => distinct[random.Next(distinct.Length)])];
        AssertSameAsOpenCv(Pick(200), 200, Pick(150), 150);
        AssertSameAsOpenCv(Pick(20), 20, Pick(1), 1);
    }

    private static void AssertSameAsOpenCv(byte[] query, int queryCount, byte[] listed, int listedCount)
    {
        using var q = Mat.FromPixelData(queryCount, RobustFeatures.KeypointDescriptorBytes, MatType.CV_8UC1, query);
        using var l = Mat.FromPixelData(listedCount, RobustFeatures.KeypointDescriptorBytes, MatType.CV_8UC1, listed);
        using var matcher = new BFMatcher(NormTypes.Hamming);
        var pairs = matcher.KnnMatch(q, l, 2);
        var nearest = new int[queryCount];
        var best = new int[queryCount];
        var second = new int[queryCount];
        KeypointMatcher.NearestTwo(query, queryCount, listed, listedCount, nearest, best, second);
        Assert.Equal(queryCount, pairs.Length);
        for (var i = 0; i < queryCount; i++)
        {
            Assert.Equal(pairs[i][0].TrainIdx, nearest[i]);
            Assert.Equal(pairs[i][0].Distance, best[i]);
            if (pairs[i].Length > 1)
            {
                Assert.Equal(pairs[i][1].Distance, second[i]);
            }
            else
            {
                Assert.Equal(int.MaxValue, second[i]);
            }
        }
    }
}
