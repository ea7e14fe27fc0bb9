namespace Needle.Hashing.Tests;

/// <summary>
/// 16-bit PNGs are reduced to 8 bits by their high byte (what Skia does, and what Pillow does for Python PDQ users),
/// never by the low byte as Meta's reference tool does by accident.
/// </summary>
public sealed class SixteenBitTests
{
    private static readonly ImageDecoder Decoder = new(new DecodeOptions { ResampleSize = null });

    [Fact]
    public void Sixteen_bit_png_reports_16_bits_per_sample()
    {
        using var image = Decoder.Decode(TestData.Photo("e2_16bit_rgb.png"));

        Assert.Equal(16, image.BitsPerSample);
        Assert.Equal((160, 106), (image.Width, image.Height));
        Assert.Equal(PixelLayout.Rgb24, image.Layout);
    }

    [Fact]
    public void Eight_bit_png_reports_8_bits_per_sample()
    {
        using var image = Decoder.Decode(TestData.Photo("p04_flowers.png"));

        Assert.Equal(8, image.BitsPerSample);
    }

    [Fact]
    public void Sixteen_bit_samples_become_their_high_byte_within_one_of_v_over_257()
    {
        var reference = ReferencePng.Read(TestData.Photo("e2_16bit_rgb.png"));
        using var image = Decoder.Decode(TestData.Photo("e2_16bit_rgb.png"));

        Assert.Equal(16, reference.BitDepth);
        var pixels = image.Pixels;
        for (var i = 0; i < reference.Samples.Length; i++)
        {
            var sample16 = reference.Samples[i];
            Assert.Equal(sample16 >> 8, pixels[i]);
            Assert.InRange(pixels[i] - Math.Round(sample16 / 257.0), -1, 1);
        }
    }

    [Fact]
    public void Sixteen_bit_samples_are_not_reduced_to_their_low_byte()
    {
        var reference = ReferencePng.Read(TestData.Photo("e2_16bit_rgb.png"));
        using var image = Decoder.Decode(TestData.Photo("e2_16bit_rgb.png"));

        // The file's low bytes are real data, not copies of the high bytes, so the two readings differ almost everywhere.
        var pixels = image.Pixels;
        var equalToLowByte = 0;
        for (var i = 0; i < reference.Samples.Length; i++)
        {
            equalToLowByte += pixels[i] == (reference.Samples[i] & 0xFF) ? 1 : 0;
        }

        Assert.True(equalToLowByte < reference.Samples.Length / 20, $"{equalToLowByte} of {reference.Samples.Length} samples equal the low byte");
    }
}
