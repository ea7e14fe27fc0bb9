using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class SignalTypeTests
{
    [Fact]
    public void Exact_hashes_normalize_to_lowercase_and_accept_either_case()
    {
        Assert.Equal(Md5A, SignalTypes.Md5.Normalize(Md5A.ToUpperInvariant()));
        Assert.Equal(Sha1A, SignalTypes.Sha1.Normalize(" " + Sha1A.ToUpperInvariant() + " "));
        Assert.Equal(Sha256A, SignalTypes.Sha256.Normalize(Sha256A.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("md5", "e32684b27b95e909348334896a68f81")]
    [InlineData("md5", "e32684b27b95e909348334896a68f8123")]
    [InlineData("md5", "g32684b27b95e909348334896a68f812")]
    [InlineData("sha1", "85813dbad3c681d06bd2aa399dac946dc59c099")]
    [InlineData("sha256", "e32684b27b95e909348334896a68f812")]
    [InlineData("pdq", "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575")]
    [InlineData("pdq", "+0877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e")]
    public void Wrong_length_or_non_hex_values_are_rejected(string type, string value)
    {
        Assert.False(SignalTypes.Get(type).TryNormalize(value, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void All_zero_pdq_hash_is_rejected_in_lists()
    {
        Assert.False(SignalTypes.Pdq.TryNormalize(new string('0', 64), out _, out var error));
        Assert.Contains("too small", error, StringComparison.Ordinal);
    }

    [Fact]
    public void PhotoDna_accepts_base64_hex_and_comma_separated_bytes()
    {
        var bytes = PhotoDnaBytes(PhotoDnaA);
        var hex = Convert.ToHexString(bytes);
        var commas = string.Join(",", bytes);
        Assert.Equal(PhotoDnaA, SignalTypes.PhotoDna.Normalize(PhotoDnaA));
        Assert.Equal(PhotoDnaA, SignalTypes.PhotoDna.Normalize(hex));
        Assert.Equal(PhotoDnaA, SignalTypes.PhotoDna.Normalize(commas));
    }

    [Theory]
    [InlineData("AAAA")]
    [InlineData("1,2,3")]
    [InlineData("not base64 at all!")]
    public void PhotoDna_of_wrong_size_is_rejected(string value) =>
        Assert.False(SignalTypes.PhotoDna.TryNormalize(value, out _, out _));

    [Fact]
    public void PhotoDna_comma_bytes_over_255_are_rejected() =>
        Assert.False(SignalTypes.PhotoDna.TryNormalize(string.Join(",", Enumerable.Repeat("256", 144)), out _, out _));

    [Fact]
    public void PhotoDna_vector_and_scalar_distances_agree_including_early_exit()
    {
        var random = new Random(7);
        var a = new byte[144];
        var b = new byte[144];
        for (var trial = 0; trial < 200; trial++)
        {
            random.NextBytes(a);
            random.NextBytes(b);
            var exact = PhotoDnaDistance.SquaredDistanceScalar(a, b, int.MaxValue);
            Assert.Equal(exact, PhotoDnaDistance.SquaredDistanceVector256(a, b, int.MaxValue));
            Assert.Equal(exact, PhotoDnaDistance.SquaredDistance(a, b, int.MaxValue));

            // With a limit the result only has to be above the limit when the true distance is.
            var limit = exact / 2;
            Assert.True(PhotoDnaDistance.SquaredDistanceVector256(a, b, limit) > limit);
            Assert.True(PhotoDnaDistance.SquaredDistanceScalar(a, b, limit) > limit);
        }
    }

    [Fact]
    public void Signal_types_are_found_by_common_spellings()
    {
        Assert.Same(SignalTypes.Sha1, SignalTypes.Get("SHA-1"));
        Assert.Same(SignalTypes.PhotoDna, SignalTypes.Get("pdna"));
        Assert.Same(SignalTypes.Vpdq, SignalTypes.Get("VPDQ"));
        Assert.False(SignalTypes.TryGet("tmk", out _));
    }

    [Fact]
    public void Vpdq_values_are_frame_lines_normalized_to_semicolons_and_malformed_ones_are_refused()
    {
        const string hash = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        var entry = new HashListEntry(SignalTypes.Vpdq, $"0,100,{hash.ToUpperInvariant()},0.000\n10, 90 ,{hash},1.0\n");
        Assert.Equal($"0,100,{hash},0.000;10,90,{hash},1.000", entry.Value);
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Vpdq, "0,100,abc,0.000"));
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Vpdq, $"0,101,{hash},0.000"));
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Vpdq, ""));
        Assert.Throws<FormatException>(() => new HashListEntry(SignalTypes.Vpdq, $"0,100,{new string('0', 64)},0.000"));
    }

    [Fact]
    public void Thresholds_are_validated_per_type()
    {
        var list = new HashList("t");
        Assert.Throws<ArgumentOutOfRangeException>(() => list.PdqThreshold = 257);
        Assert.Throws<ArgumentOutOfRangeException>(() => list.SetThreshold(SignalTypes.Md5, 3));
        Assert.Equal(31, list.PdqThreshold);
        Assert.Equal(200, list.PhotoDnaThreshold);
    }
}
