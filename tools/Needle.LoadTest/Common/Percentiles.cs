namespace Needle.LoadTest.Common;

/// <summary>Percentiles of the harnesses' tables.</summary>
internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of unsorted values.</summary>
    public static double Of(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
