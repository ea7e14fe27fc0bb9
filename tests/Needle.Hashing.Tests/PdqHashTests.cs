namespace Needle.Hashing.Tests;

public sealed class PdqHashTests
{
    private const string Sample = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    [Fact]
    public void Text_form_round_trips()
    {
        Assert.Equal(Sample, PdqHash.Parse(Sample).ToString());
        Assert.Equal(Sample, PdqHash.Parse(Sample.ToUpperInvariant()).ToString());
    }

    [Fact]
    public void Last_hex_digit_holds_bits_three_to_zero()
    {
        var hash = PdqHash.Parse(new string('0', 63) + "5");
        Assert.True(hash.GetBit(0));
        Assert.False(hash.GetBit(1));
        Assert.True(hash.GetBit(2));
        Assert.Equal(2, hash.PopCount);

        var top = PdqHash.Parse("8" + new string('0', 63));
        Assert.True(top.GetBit(255));
        Assert.Equal(1UL << 63, top.W3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("g8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")]
    [InlineData("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b2")]
    [InlineData("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b221")]
    [InlineData("+8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")]
    public void Malformed_text_is_refused(string text)
    {
        Assert.False(PdqHash.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => PdqHash.Parse(text));
        Assert.Contains("64 hex digits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hamming_distance_counts_differing_bits()
    {
        var a = PdqHash.Parse(Sample);
        Assert.Equal(0, a.HammingDistance(a));
        var flipped = new PdqHash(a.W0 ^ 0b1011, a.W1, a.W2 ^ (1UL << 63), a.W3);
        Assert.Equal(4, a.HammingDistance(flipped));
        Assert.Equal(256, PdqHash.Zero.HammingDistance(new PdqHash(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue)));
    }

    [Fact]
    public void Big_endian_bytes_follow_the_text_order()
    {
        var hash = PdqHash.Parse(Sample);
        Span<byte> bytes = stackalloc byte[32];
        hash.WriteBigEndian(bytes);
        Assert.Equal(Sample, Convert.ToHexStringLower(bytes));
        Assert.Equal(hash, PdqHash.ReadBigEndian(bytes));
    }
}
