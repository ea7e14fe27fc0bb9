namespace Needle.Robust.Tests;

public sealed class DescriptorKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(512)]
    [InlineData(515)]
    public void Vector_and_scalar_dot_products_agree(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var expected = a.Zip(b, (x, y) => (double)x * y).Sum();
        Assert.Equal(expected, DescriptorKernel.Dot(a, b, useVectors: true), 3);
        Assert.Equal(expected, DescriptorKernel.Dot(a, b, useVectors: false), 3);
    }

    [Fact]
    public void The_index_returns_the_most_similar_rows_best_first()
    {
        var random = new Random(5);
        var index = new DescriptorIndex(64);
        var rows = new List<float[]>();
        for (var i = 0; i < 1000; i++)
        {
            var row = Enumerable.Range(0, 64).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            DescriptorKernel.Normalize(row);
            rows.Add(row);
            index.Add(row);
        }

        var query = rows[417].Select(v => v + (0.01f * ((float)random.NextDouble() - 0.5f))).ToArray();
        DescriptorKernel.Normalize(query);
        var expected = rows.Select((r, i) => (Score: DescriptorKernel.Dot(r, query, useVectors: false), Row: i)).OrderByDescending(x => x.Score).Take(5).Select(x => x.Row).ToArray();
        var found = new int[5];
        var scores = new float[5];
        Assert.Equal(5, index.Search(query, 5, found, scores));
        Assert.Equal(417, found[0]);
        Assert.Equal(expected, found);
        Assert.True(scores.Zip(scores.Skip(1), (x, y) => x >= y).All(x => x));
        Assert.Throws<ArgumentException>(() => index.Add(new float[3]));
    }
}
