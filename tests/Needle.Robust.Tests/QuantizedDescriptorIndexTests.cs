namespace Needle.Robust.Tests;

public sealed class QuantizedDescriptorIndexTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(512)]
    [InlineData(515)]
    public void Vector_and_scalar_integer_dot_products_agree_exactly(int length)
    {
        var random = new Random(length);
        var row = Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var query = Enumerable.Range(0, length).Select(_ => (short)random.Next(-127, 128)).ToArray();
        var expected = row.Zip(query, (x, y) => x * y).Sum();
        Assert.Equal(expected, QuantizedDescriptorKernel.Dot(row, query, useVectors: true));
        Assert.Equal(expected, QuantizedDescriptorKernel.Dot(row, query, useVectors: false));
    }

    [Fact]
    public void Quantising_keeps_the_largest_value_at_127_and_the_scale_restores_the_values()
    {
        float[] vector = [0.5f, -0.25f, 0.125f, 0];
        var codes = new sbyte[4];
        var scale = QuantizedDescriptorKernel.Quantize(vector, codes);
        Assert.Equal([127, -64, 32, 0], codes.Select(c => (int)c));
        Assert.Equal(0.5f / 127, scale, 6);
        Assert.Equal(0, QuantizedDescriptorKernel.Quantize(new float[4], codes));
        Assert.All(codes, c => Assert.Equal(0, c));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_quantised_index_returns_the_same_shortlist_as_the_float_scan(bool nonNegative)
    {
        // ResNet's pooled features are all >= 0 (nonNegative), other models' are signed.
        var random = new Random(nonNegative ? 11 : 12);
        var floats = new DescriptorIndex(512);
        var quantised = new QuantizedDescriptorIndex(512);
        var rows = new List<float[]>();
        for (var i = 0; i < 3000; i++)
        {
            var row = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble() - (nonNegative ? 0 : 0.5f)).ToArray();
            DescriptorKernel.Normalize(row);
            rows.Add(row);
            floats.Add(row);
            quantised.Add(row);
        }

        for (var q = 0; q < 20; q++)
        {
            var source = rows[random.Next(rows.Count)];
            var query = source.Select(v => v + (0.05f * ((float)random.NextDouble() - 0.5f))).ToArray();
            DescriptorKernel.Normalize(query);
            int[] expected = new int[10], found = new int[10];
            float[] expectedScores = new float[10], scores = new float[10];
            Assert.Equal(10, floats.Search(query, 10, expected, expectedScores));
            Assert.Equal(10, quantised.Search(query, 10, found, scores));
            Assert.Equal(expected[0], found[0]);
            Assert.Equal(expected, found);
            for (var i = 0; i < 10; i++)
            {
                // The re-ranking is exact up to the half precision the rows are held (and listed) in.
                Assert.InRange(Math.Abs(expectedScores[i] - scores[i]), 0, 1e-3);
            }

            Assert.Equal(10, quantised.Search(query, 10, found, scores, useVectors: false));
            Assert.Equal(expected, found);
        }

        Assert.Equal(512 + 4 + 1024, quantised.BytesPerDescriptor);
        Assert.Throws<ArgumentException>(() => quantised.Add(new float[3]));
    }

    [Fact]
    public void An_empty_index_finds_nothing()
    {
        var index = new QuantizedDescriptorIndex(16);
        Assert.Equal(0, index.Search(new float[16], 5, new int[5], new float[5]));
    }
}
