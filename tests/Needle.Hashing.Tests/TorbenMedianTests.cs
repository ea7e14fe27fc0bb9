using Needle.Hashing.Pdq;

namespace Needle.Hashing.Tests;

public sealed class TorbenMedianTests
{
    [Fact]
    public void Odd_count_gives_the_exact_median()
    {
        Assert.Equal(3f, PdqMath.Torben([5f, 1f, 3f, 4f, 2f]));
    }

    [Fact]
    public void Even_count_gives_the_lower_middle_value_as_the_reference()
    {
        // Reference: (n + 1) / 2 = 2 values must be at or below the answer.
        Assert.Equal(2f, PdqMath.Torben([1f, 2f, 3f, 4f]));
    }

    [Fact]
    public void Random_sets_agree_with_sorting()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var values = new float[256];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() * 2000) - 1000);
            }

            var sorted = values.Order().ToArray();
            Assert.Equal(sorted[127], PdqMath.Torben(values));
        }
    }
}
