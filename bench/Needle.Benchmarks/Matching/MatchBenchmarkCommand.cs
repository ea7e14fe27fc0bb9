using System.Globalization;
using Needle.Matching.Index;

namespace Needle.Benchmarks.Matching;

/// <summary>Console front end for <see cref="MatchBenchmark"/>.</summary>
internal static class MatchBenchmarkCommand
{
    public static int Run(string[] args)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
        int substrings = Arg(5, 0);
        var options = new MatchBenchmarkOptions
        {
            EntryCount = Arg(0, 1_000_000),
            QueryCount = Arg(1, 2_000),
            BruteForceQueryCount = Arg(2, 200),
            Radius = Arg(3, 31),
            Seed = Arg(4, 1),
            IndexOptions = substrings > 0 ? new PdqIndexOptions { SubstringCount = substrings } : PdqIndexOptions.Default,
        };
        var result = MatchBenchmark.Run(options, Console.WriteLine);
        Console.WriteLine(FormattableString.Invariant(
            $"entries={options.EntryCount:N0} radius={options.Radius} substrings={result.SubstringCount} seed={options.Seed}"));
        foreach (var m in new[] { result.BruteForce, result.MultiIndex })
        {
            Console.WriteLine(FormattableString.Invariant(
                $"{m.Method,-18} build={m.BuildTime.TotalSeconds,7:F2}s bytes/entry={m.BytesPerEntry,6:F1} queries={m.Queries,6} q/s={m.QueriesPerSecond,10:F0} p50={m.P50.TotalMilliseconds,8:F3}ms p99={m.P99.TotalMilliseconds,8:F3}ms hits={m.Hits}"));
        }

        Console.WriteLine(FormattableString.Invariant(
            $"speed-up (p50 ratio) = {result.SpeedUp:F1}x, throughput ratio = {result.ThroughputRatio:F1}x; results identical on {result.BruteForce.Queries} queries"));
        return 0;
    }
}
