using System.Diagnostics;
using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.LoadTest.Match;

/// <summary>
/// Builds a synthetic index (random entries plus near-duplicate clusters), runs the same queries through the SIMD brute
/// force and the multi-index in this process, single-threaded, checks that both return the same hits and reports
/// build time, memory, throughput and latency. The <c>match</c> harness.
/// </summary>
internal static class MatchBenchmark
{
    /// <summary>Runs the benchmark; throws <see cref="InvalidOperationException"/> if the two methods disagree.</summary>
    public static MatchBenchmarkResult Run(MatchBenchmarkOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= static _ => { };
        var random = new Random(options.Seed);
        progress($"Generating {options.EntryCount:N0} entries...");
        var words = SyntheticPdqData.GenerateEntries(random, options.EntryCount, options.ClusteredFraction, options.ClusterSize, options.ClusterMaxFlips);
        var queries = SyntheticPdqData.GenerateQueries(random, words, options.QueryCount, options.Radius);
        int n = options.EntryCount;
        var ids = new int[n];
        for (int i = 0; i < n; i++)
        {
            ids[i] = i;
        }

        progress("Building multi-index...");
        var stopwatch = Stopwatch.StartNew();
        var multiIndex = MultiIndexHammingIndex.BuildFrom(new PdqIndexData(ids, words, AllEnabled(n)), options.IndexOptions);
        var multiBuild = stopwatch.Elapsed;

        progress("Building brute force...");
        stopwatch.Restart();
        var bruteForce = BruteForcePdqIndex.BuildFrom(new PdqIndexData(ids, words, AllEnabled(n)));
        var bruteBuild = stopwatch.Elapsed;

        int bruteQueries = Math.Min(options.BruteForceQueryCount, queries.Length);
        progress($"Brute force: {bruteQueries:N0} queries...");
        var bruteHits = new List<HammingHit>[bruteQueries];
        var bruteResult = Measure("brute-force-simd", bruteForce, queries.AsSpan(0, bruteQueries), options.Radius, bruteHits);

        progress($"Multi-index (m = {multiIndex.SubstringCount}): {queries.Length:N0} queries...");
        var multiHits = new List<HammingHit>[queries.Length];
        var multiResult = Measure("multi-index", multiIndex, queries, options.Radius, multiHits);

        for (int q = 0; q < bruteQueries; q++)
        {
            if (!SameHits(bruteHits[q], multiHits[q]))
            {
                throw new InvalidOperationException(
                    $"Multi-index and brute force disagree on query {q} ({queries[q]}): {multiHits[q].Count} vs {bruteHits[q].Count} hits.");
            }
        }

        progress("Breakdown by query kind...");
        var breakdown = new[]
        {
            Breakdown("near copy", multiIndex, queries, 0, options.Radius),
            Breakdown("random", multiIndex, queries, 1, options.Radius),
        };

        var persistence = options.SavePath is { } path ? MeasurePersistence(path, multiIndex, queries, options, multiHits, progress) : null;
        return new MatchBenchmarkResult(
            options,
            multiIndex.SubstringCount,
            bruteResult with { BuildTime = bruteBuild, BytesPerEntry = (double)bruteForce.StorageBytes / n },
            multiResult with { BuildTime = multiBuild, BytesPerEntry = (double)multiIndex.StorageBytes / n })
        {
            Persistence = persistence,
            Breakdown = breakdown,
        };
    }

    /// <summary>Runs every second query from <paramref name="first"/> (even: near copies; odd: random) again, counting what the search did and the CPU it took.</summary>
    private static QueryKindBreakdown Breakdown(string kind, MultiIndexHammingIndex index, PdqHash[] queries, int first, int radius)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        var counters = new SearchCounters();
        var hits = new List<HammingHit>();
        long hitCount = 0;
        int n = 0;
        var cpuBefore = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        for (int q = first; q < queries.Length; q += 2)
        {
            hits.Clear();
            index.RangeSearch(queries[q], radius, hits, counters);
            hitCount += hits.Count;
            n++;
        }

        var wall = Stopwatch.GetElapsedTime(start);
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        double per = Math.Max(n, 1);
        return new QueryKindBreakdown(
            kind, n, cpu.TotalMicroseconds / per, wall.TotalMicroseconds / per, counters.Probes / per, counters.NonEmptyBuckets / per,
            counters.Candidates / per, counters.HashesRead / per, hitCount / per, counters.Scans);
    }

    private static PersistenceResult MeasurePersistence(
        string path, MultiIndexHammingIndex index, PdqHash[] queries, MatchBenchmarkOptions options, List<HammingHit>[] expected, Action<string> progress)
    {
        progress($"Saving to {path}...");
        var stopwatch = Stopwatch.StartNew();
        PdqIndexFile.Write(path, index);
        var write = stopwatch.Elapsed;
        long fileBytes = new FileInfo(path).Length;

        progress($"Loading {path}...");
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        stopwatch.Restart();
        var data = PdqIndexFile.Read(path);
        var read = stopwatch.Elapsed;
        stopwatch.Restart();
        var loaded = MultiIndexHammingIndex.BuildFrom(data, options.IndexOptions);
        var build = stopwatch.Elapsed;

        var hits = new List<HammingHit>();
        for (int q = 0; q < queries.Length; q++)
        {
            hits.Clear();
            loaded.RangeSearch(queries[q], options.Radius, hits);
            if (!SameHits(expected[q], hits))
            {
                throw new InvalidOperationException($"The index loaded from {path} disagrees with the original on query {q}.");
            }
        }

        return new PersistenceResult(fileBytes, write, read, build);
    }

    private static MatchMethodResult Measure(string method, IPdqIndex index, ReadOnlySpan<PdqHash> queries, int radius, List<HammingHit>[] hits)
    {
        // Settle the heap after building gigabytes of arrays, so no background collection overlaps the timings.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        GC.WaitForPendingFinalizers();

        // Warm up so tiered JIT compilation does not land in the timings.
        var warmup = new List<HammingHit>();
        for (int round = 0; round < 3; round++)
        {
            for (int q = 0; q < Math.Min(queries.Length, 40); q++)
            {
                warmup.Clear();
                index.RangeSearch(queries[q], radius, warmup);
            }

            Thread.Sleep(150);
        }

        var latencies = new long[queries.Length];
        long totalHits = 0;
        long start = Stopwatch.GetTimestamp();
        for (int q = 0; q < queries.Length; q++)
        {
            var list = new List<HammingHit>();
            long before = Stopwatch.GetTimestamp();
            index.RangeSearch(queries[q], radius, list);
            latencies[q] = Stopwatch.GetTimestamp() - before;
            hits[q] = list;
            totalHits += list.Count;
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        Array.Sort(latencies);
        return new MatchMethodResult(
            method,
            TimeSpan.Zero,
            0,
            queries.Length,
            queries.Length / elapsed.TotalSeconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            totalHits);
    }

    private static TimeSpan Percentile(long[] sortedTicks, double p) =>
        sortedTicks.Length == 0 ? TimeSpan.Zero
        : Stopwatch.GetElapsedTime(0, sortedTicks[Math.Min(sortedTicks.Length - 1, (int)(p * sortedTicks.Length))]);

    private static bool SameHits(List<HammingHit> expected, List<HammingHit> actual)
    {
        if (expected.Count != actual.Count)
        {
            return false;
        }

        static int ById(HammingHit a, HammingHit b) => a.EntryId.CompareTo(b.EntryId);
        expected.Sort(ById);
        actual.Sort(ById);
        return expected.SequenceEqual(actual);
    }

    private static ulong[] AllEnabled(int n)
    {
        var bits = new ulong[HashSegment.BitmapLength(n)];
        bits.AsSpan().Fill(ulong.MaxValue);
        return bits;
    }
}
