using Needle.Hashing.Decoding;

namespace Needle.Hashing.Tests;

/// <summary>The vectorised pixel loops agree with the obvious scalar definitions at every length, in place or not.</summary>
public sealed class PixelOpsTests
{
    public static TheoryData<int> PixelCounts() => new(0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 1027);

    [Theory]
    [MemberData(nameof(PixelCounts))]
    public void RgbaToRgb_drops_alpha_out_of_place_and_in_place(int pixelCount)
    {
        var rgba = RandomRgba(pixelCount, seed: pixelCount);
        var expected = new byte[pixelCount * 3];
        for (var p = 0; p < pixelCount; p++)
        {
            expected[p * 3] = rgba[p * 4];
            expected[(p * 3) + 1] = rgba[(p * 4) + 1];
            expected[(p * 3) + 2] = rgba[(p * 4) + 2];
        }

        var separate = new byte[pixelCount * 3];
        PixelOps.RgbaToRgb(rgba, separate);
        var inPlace = (byte[])rgba.Clone();
        PixelOps.RgbaToRgb(inPlace, inPlace.AsSpan(0, pixelCount * 3));

        Assert.Equal(expected, separate);
        Assert.Equal(expected, inPlace.AsSpan(0, pixelCount * 3).ToArray());
    }

    [Theory]
    [MemberData(nameof(PixelCounts))]
    public void RgbaToGrey_keeps_the_first_sample_out_of_place_and_in_place(int pixelCount)
    {
        var rgba = RandomRgba(pixelCount, seed: pixelCount + 1);
        var expected = Enumerable.Range(0, pixelCount).Select(p => rgba[p * 4]).ToArray();

        var separate = new byte[pixelCount];
        PixelOps.RgbaToGrey(rgba, separate);
        var inPlace = (byte[])rgba.Clone();
        PixelOps.RgbaToGrey(inPlace, inPlace.AsSpan(0, pixelCount));

        Assert.Equal(expected, separate);
        Assert.Equal(expected, inPlace.AsSpan(0, pixelCount).ToArray());
    }

    [Theory]
    [MemberData(nameof(PixelCounts))]
    public void IsGrey_finds_a_single_coloured_pixel_anywhere(int pixelCount)
    {
        var grey = GreyRgba(pixelCount);
        Assert.True(PixelOps.IsGrey(grey));

        for (var p = 0; p < pixelCount; p++)
        {
            for (var channel = 0; channel < 3; channel++)
            {
                var tinted = (byte[])grey.Clone();
                tinted[(p * 4) + channel] ^= 1;
                Assert.False(PixelOps.IsGrey(tinted), $"pixel {p} channel {channel} of {pixelCount}");
            }
        }
    }

    [Fact]
    public void IsGrey_ignores_alpha()
    {
        var grey = GreyRgba(40);
        for (var p = 0; p < 40; p++)
        {
            grey[(p * 4) + 3] = (byte)(p * 6);
        }

        Assert.True(PixelOps.IsGrey(grey));
    }

    [Fact]
    public void RgbToGreyInPlace_keeps_every_third_byte()
    {
        byte[] rgb = [10, 10, 10, 20, 20, 20, 30, 30, 30];

        PixelOps.RgbToGreyInPlace(rgb, 3);

        Assert.Equal([10, 20, 30], rgb[..3]);
    }

    private static byte[] RandomRgba(int pixelCount, int seed)
    {
        var bytes = new byte[pixelCount * 4];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] GreyRgba(int pixelCount)
    {
        var bytes = new byte[pixelCount * 4];
        for (var p = 0; p < pixelCount; p++)
        {
            var v = (byte)(p * 37);
            bytes[p * 4] = v;
            bytes[(p * 4) + 1] = v;
            bytes[(p * 4) + 2] = v;
            bytes[(p * 4) + 3] = 255;
        }

        return bytes;
    }
}
