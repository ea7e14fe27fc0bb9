using System.CommandLine;
using Needle.Matching.Index;

namespace Needle.LoadTest.Match;

/// <summary><c>match</c>: the PDQ index, multi-index against SIMD brute force, on synthetic data.</summary>
internal static class MatchCommand
{
    public static Command Create(LoadTestContext context)
    {
        var entries = new Option<int>("--entries") { Description = "Entries in the synthetic index.", DefaultValueFactory = _ => 1_000_000 };
        var queries = new Option<int>("--queries") { Description = "Queries timed on the multi-index.", DefaultValueFactory = _ => 2_000 };
        var bruteQueries = new Option<int?>("--brute-queries")
        {
            Description = "How many of the queries brute force also runs and cross-checks (default: all up to 200; brute force is slow at scale).",
        };
        var radius = new Option<int>("--radius") { Description = "Range-search radius (Hamming distance).", DefaultValueFactory = _ => 31 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed gives the same entries and queries.", DefaultValueFactory = _ => 1 };
        var substrings = new Option<int?>("--substrings") { Description = "Force the multi-index's substring count (default: chosen from the entry count)." };
        var save = new Option<FileInfo?>("--save")
        {
            Description = "Also save the multi-index to this file, load it back, rebuild it, check it answers every query the same, and print the timings.",
        };
        var command = new Command("match",
            "Build a synthetic index (random entries plus near-duplicate clusters), run SIMD brute force and the multi-index on the same queries, check they agree, and print build time, memory per entry, queries/s, p50/p99 latency and the ratio.")
        {
            entries, queries, bruteQueries, radius, seed, substrings, save,
        };
        command.SetAction(parse =>
        {
            var entryCount = parse.GetValue(entries);
            var queryCount = parse.GetValue(queries);
            var r = parse.GetValue(radius);
            if (entryCount < 1 || queryCount < 1 || r is < 0 or > 256)
            {
                context.Error.WriteLine("error: --entries and --queries must be positive and --radius between 0 and 256");
                return ExitCodes.Usage;
            }

            var options = new MatchBenchmarkOptions
            {
                EntryCount = entryCount,
                QueryCount = queryCount,
                BruteForceQueryCount = Math.Min(queryCount, parse.GetValue(bruteQueries) ?? 200),
                Radius = r,
                Seed = parse.GetValue(seed),
                IndexOptions = parse.GetValue(substrings) is { } m ? new PdqIndexOptions { SubstringCount = m } : PdqIndexOptions.Default,
                SavePath = parse.GetValue(save)?.FullName,
            };
            MatchBenchmarkResult result;
            try
            {
                result = MatchBenchmark.Run(options, line => context.Error.WriteLine(line));
            }
            catch (InvalidOperationException ex)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant(
                $"entries {options.EntryCount:N0}, radius {options.Radius}, {result.SubstringCount} substrings, seed {options.Seed}, single thread"));
            o.WriteLine(FormattableString.Invariant($"{"method",-18} {"build s",8} {"B/entry",8} {"queries",8} {"queries/s",11} {"p50 ms",9} {"p99 ms",9} {"hits",8}"));
            foreach (var method in new[] { result.BruteForce, result.MultiIndex })
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{method.Method,-18} {method.BuildTime.TotalSeconds,8:F2} {method.BytesPerEntry,8:F1} {method.Queries,8} {method.QueriesPerSecond,11:F0} {method.P50.TotalMilliseconds,9:F3} {method.P99.TotalMilliseconds,9:F3} {method.Hits,8}"));
            }

            o.WriteLine(FormattableString.Invariant(
                $"ratio: multi-index is {result.ThroughputRatio:F1}x brute force in queries/s ({result.SpeedUp:F1}x at p50); results identical on {result.BruteForce.Queries} queries"));
            if (result.Persistence is { } p)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"persistence: {p.FileBytes / 1e6:F0} MB file; write {p.Write.TotalSeconds:F2} s, read {p.Read.TotalSeconds:F2} s, rebuild tables {p.Build.TotalSeconds:F2} s, load total {p.Load.TotalSeconds:F2} s; loaded index identical on {options.QueryCount} queries"));
            }

            o.WriteLine(FormattableString.Invariant(
                $"{"kind",-10} {"queries",8} {"CPU us/q",9} {"wall us/q",9} {"probes",9} {"buckets",9} {"candidates",10} {"hashes",9} {"hits",7} {"scans",6}"));
            foreach (var b in result.Breakdown)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{b.Kind,-10} {b.Queries,8} {b.CpuMicros,9:F1} {b.WallMicros,9:F1} {b.Probes,9:F0} {b.NonEmptyBuckets,9:F0} {b.Candidates,10:F0} {b.HashesRead,9:F0} {b.Hits,7:F1} {b.Scans,6}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
