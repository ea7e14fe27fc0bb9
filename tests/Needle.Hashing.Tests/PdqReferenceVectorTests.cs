using Needle.Hashing.Pdq;
using Needle.Testing;

namespace Needle.Hashing.Tests;

/// <summary>
/// Needle's PDQ against the output of Meta's reference <c>pdq-photo-hasher</c> on the shared test vectors: PNG inputs
/// must match exactly (hash and quality); JPEG inputs within a few bits, since JPEG decoders differ slightly.
/// </summary>
public sealed class PdqReferenceVectorTests
{
    /// <summary>Bits a JPEG may differ by: the README measured 0..4 across libjpeg-turbo's own IDCT settings.</summary>
    private const int JpegTolerance = 8;

    private static readonly ImageDecoder Decoder = new(DecodeOptions.Default);

    public static TheoryData<string, string, int> Photos() => ReadExpected("photos/expected.csv", hashColumn: 0, qualityColumn: 1, fileColumn: 2);

    public static TheoryData<string, string, int> Variants() => ReadExpected("variants/expected.csv", hashColumn: 3, qualityColumn: 4, fileColumn: 0);

    public static TheoryData<string, string, int> Bridge() => ReadExpected("bridge/expected.csv", hashColumn: 0, qualityColumn: 1, fileColumn: 2);

    [Theory]
    [MemberData(nameof(Photos))]
    [MemberData(nameof(Variants))]
    [MemberData(nameof(Bridge))]
    public void Hash_matches_the_reference(string file, string expectedHash, int expectedQuality)
    {
        if (file == "photos/e2_16bit_rgb.png")
        {
            // The reference keeps the low byte of 16-bit samples; Needle deliberately does not (see 16-bit test).
            return;
        }

        var result = HashFile(file, new PdqHasher());
        var distance = result.Hash.HammingDistance(PdqHash.Parse(expectedHash));
        if (file.EndsWith(".png", StringComparison.Ordinal))
        {
            Assert.Equal(expectedHash, result.Hash.ToString());
            Assert.Equal(expectedQuality, result.Quality);
        }
        else
        {
            Assert.InRange(distance, 0, JpegTolerance);
            Assert.InRange(result.Quality, expectedQuality - 2, expectedQuality + 2);
        }
    }

    [Theory]
    [MemberData(nameof(Photos))]
    [MemberData(nameof(Variants))]
    public void Scalar_and_vector_paths_give_identical_bits(string file, string expectedHash, int expectedQuality)
    {
        _ = expectedHash;
        _ = expectedQuality;
        var vector = HashFile(file, new PdqHasher(useVectors: true));
        var scalar = HashFile(file, new PdqHasher(useVectors: false));
        Assert.Equal(scalar, vector);
    }

    [Fact]
    public void Dihedral_hashes_match_the_reference()
    {
        var rows = File.ReadAllLines(TestPaths.PdqFile("bridge/expected_dihedral.csv")).Skip(1).ToList();
        Assert.Equal(3, rows.Count);
        foreach (var row in rows)
        {
            var columns = row.Split(',');
            using var image = Decoder.Decode(TestPaths.PdqFile(columns[0]));
            var dihedral = new PdqHasher().HashDihedral(image);
            for (var t = 0; t < DihedralTransformNames.Count; t++)
            {
                var distance = dihedral.Hashes[t].HammingDistance(PdqHash.Parse(columns[1 + t]));
                Assert.True(distance <= JpegTolerance, $"{columns[0]} {(DihedralTransform)t}: {distance} bits from the reference");
            }

            Assert.Equal(int.Parse(columns[9], System.Globalization.CultureInfo.InvariantCulture), dihedral.Quality);
        }
    }

    [Fact]
    public void The_original_dihedral_hash_equals_the_plain_hash()
    {
        using var image = Decoder.Decode(TestPaths.PdqFile("photos/p01_keong_macan.png"));
        var hasher = new PdqHasher();
        Assert.Equal(hasher.Hash(image).Hash, hasher.HashDihedral(image).Original);
    }

    [Theory]
    [InlineData(DihedralTransform.Rotate90)]
    [InlineData(DihedralTransform.Rotate180)]
    [InlineData(DihedralTransform.Rotate270)]
    [InlineData(DihedralTransform.FlipX)]
    [InlineData(DihedralTransform.FlipY)]
    [InlineData(DihedralTransform.FlipPlus1)]
    [InlineData(DihedralTransform.FlipMinus1)]
    public void Dihedral_hash_equals_the_hash_of_the_transformed_pixels(DihedralTransform transform)
    {
        // The transform is applied to the DCT, not the pixels. For a square image whose blur window is odd (300 px:
        // window 3) blur and decimation are symmetric, so the derived hash equals the hash of the transformed pixels.
        using var image = Decoder.Decode(TestPaths.PdqFile("photos/p34_orion_nebula.png"));
        var hasher = new PdqHasher();
        var derived = hasher.HashDihedral(image)[transform];
        var (pixels, width, height) = Transform(image.Pixels.ToArray(), image.Width, image.Height, (int)image.Layout, transform);
        var direct = hasher.Hash(pixels, width, height, image.Layout).Hash;
        Assert.Equal(direct, derived);

        // And far from the untransformed hash, so the test would notice a wrong sign or transpose.
        Assert.True(hasher.Hash(image).Hash.HammingDistance(direct) > 60);
    }

    [Fact]
    public void Images_under_five_pixels_get_the_zero_hash_and_quality_zero()
    {
        foreach (var file in new[] { "photos/e5_1x1.png", "photos/e6_4x4.png" })
        {
            var result = HashFile(file, new PdqHasher());
            Assert.Equal(PdqHash.Zero, result.Hash);
            Assert.Equal(0, result.Quality);
        }

        Assert.Equal(58, HashFile("photos/e7_5x5.png", new PdqHasher()).Quality);
    }

    [Fact]
    public void Sixteen_bit_samples_are_reduced_properly_not_by_their_low_byte()
    {
        var expected = ReadExpected("photos/expected.csv", 0, 1, 2)
            .Single(row => (string)row[0] == "photos/e2_16bit_rgb.png");
        var lowByteHash = PdqHash.Parse((string)expected[1]);
        var result = HashFile("photos/e2_16bit_rgb.png", new PdqHasher());

        // The README measured the low-byte and high-byte readings 130 bits apart.
        Assert.True(result.Hash.HammingDistance(lowByteHash) > 100);
        Assert.True(result.Quality >= 50);
    }

    [Fact]
    public void Images_over_512_pixels_are_stretched_to_512_and_full_resolution_hashes_differently()
    {
        const string file = "photos/p22_studio_pano.png";
        var stretched = HashFile(file, new PdqHasher());
        var full = new ImageDecoder(DecodeOptions.Default with { ResampleSize = null });
        using var image = full.Decode(TestPaths.PdqFile(file));
        Assert.Equal((1024, 512), (image.Width, image.Height));
        var fullResult = new PdqHasher().Hash(image);
        Assert.NotEqual(stretched.Hash, fullResult.Hash);
        Assert.InRange(stretched.Hash.HammingDistance(fullResult.Hash), 1, 40);
    }

    private static PdqResult HashFile(string relative, PdqHasher hasher)
    {
        using var image = Decoder.Decode(TestPaths.PdqFile(relative));
        return hasher.Hash(image);
    }

    private static TheoryData<string, string, int> ReadExpected(string csv, int hashColumn, int qualityColumn, int fileColumn)
    {
        var data = new TheoryData<string, string, int>();
        foreach (var line in File.ReadLines(TestPaths.PdqFile(csv)).Skip(1))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var columns = line.Split(',');
            data.Add(columns[fileColumn], columns[hashColumn], int.Parse(columns[qualityColumn], System.Globalization.CultureInfo.InvariantCulture));
        }

        return data;
    }

    private static (byte[] Pixels, int Width, int Height) Transform(byte[] source, int width, int height, int channels, DihedralTransform transform)
    {
        var swap = transform is DihedralTransform.Rotate90 or DihedralTransform.Rotate270 or DihedralTransform.FlipPlus1 or DihedralTransform.FlipMinus1;
        var (outWidth, outHeight) = swap ? (height, width) : (width, height);
        var result = new byte[source.Length];
        for (var y = 0; y < outHeight; y++)
        {
            for (var x = 0; x < outWidth; x++)
            {
                // (sx, sy) is the source pixel shown at (x, y) after the transform.
                var (sx, sy) = transform switch
                {
                    DihedralTransform.Rotate90 => (width - 1 - y, x),
                    DihedralTransform.Rotate180 => (width - 1 - x, height - 1 - y),
                    DihedralTransform.Rotate270 => (y, height - 1 - x),
                    DihedralTransform.FlipX => (x, height - 1 - y),
                    DihedralTransform.FlipY => (width - 1 - x, y),
                    DihedralTransform.FlipPlus1 => (y, x),
                    DihedralTransform.FlipMinus1 => (width - 1 - y, height - 1 - x),
                    _ => (x, y),
                };
                Array.Copy(source, ((sy * width) + sx) * channels, result, ((y * outWidth) + x) * channels, channels);
            }
        }

        return (result, outWidth, outHeight);
    }
}
