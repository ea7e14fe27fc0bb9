using System.Diagnostics;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>Settings for <see cref="MatchBenchmark"/>.</summary>
public sealed record MatchBenchmarkOptions
{
    /// <summary>Entries in the synthetic index.</summary>
    public int EntryCount { get; init; } = 1_000_000;

    /// <summary>Queries timed on the multi-index; half near an entry, half random.</summary>
    public int QueryCount { get; init; } = 2_000;

    /// <summary>How many of those queries brute force also runs (it is slow at scale); all of them are cross-checked.</summary>
    public int BruteForceQueryCount { get; init; } = 200;

    /// <summary>Range-search radius.</summary>
    public int Radius { get; init; } = 31;

    /// <summary>Share of entries that belong to near-duplicate clusters.</summary>
    public double ClusteredFraction { get; init; } = 0.3;

    /// <summary>Entries per cluster.</summary>
    public int ClusterSize { get; init; } = 20;

    /// <summary>Most bits flipped from a cluster centre to make a member.</summary>
    public int ClusterMaxFlips { get; init; } = 12;

    /// <summary>Random seed; the same seed gives the same data and queries.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Index options for the multi-index (e.g. a fixed substring count).</summary>
    public PdqIndexOptions IndexOptions { get; init; } = PdqIndexOptions.Default;

    /// <summary>
    /// When set, the multi-index is also saved to this file with <see cref="PdqIndexFile"/>, read back and rebuilt, and
    /// the rebuilt index is checked against the original on every query; the timings land in
    /// <see cref="MatchBenchmarkResult.Persistence"/>.
    /// </summary>
    public string? SavePath { get; init; }
}

/// <summary>Timings of saving and loading the benchmark index (the read follows the write, so the file is likely cached).</summary>
public sealed record PersistenceResult(long FileBytes, TimeSpan Write, TimeSpan Read, TimeSpan Build)
{
    /// <summary>Read plus table build: the time from file to a searchable index.</summary>
    public TimeSpan Load => Read + Build;
}

/// <summary>Figures for one search method.</summary>
public sealed record MatchMethodResult(
    string Method, TimeSpan BuildTime, double BytesPerEntry, int Queries, double QueriesPerSecond, TimeSpan P50, TimeSpan P99, long Hits);

/// <summary>Outcome of <see cref="MatchBenchmark.Run"/>.</summary>
public sealed record MatchBenchmarkResult(
    MatchBenchmarkOptions Options, int SubstringCount, MatchMethodResult BruteForce, MatchMethodResult MultiIndex)
{
    /// <summary>Save/load timings when <see cref="MatchBenchmarkOptions.SavePath"/> was set.</summary>
    public PersistenceResult? Persistence { get; init; }

    /// <summary>Brute-force p50 latency over multi-index p50 latency.</summary>
    public double SpeedUp => BruteForce.P50.TotalMilliseconds / Math.Max(MultiIndex.P50.TotalMilliseconds, 1e-9);

    /// <summary>Brute-force throughput ratio: multi-index queries/s over brute-force queries/s.</summary>
    public double ThroughputRatio => MultiIndex.QueriesPerSecond / BruteForce.QueriesPerSecond;
}

/// <summary>
/// Builds a synthetic index (random entries plus near-duplicate clusters), runs the same queries through the SIMD brute
/// force and the multi-index in this process, single-threaded, checks that both return the same hits and reports
/// build time, memory, throughput and latency. Used by <c>needle bench match</c>.
/// </summary>
public static class MatchBenchmark
{
    /// <summary>Runs the benchmark; throws <see cref="InvalidOperationException"/> if the two methods disagree.</summary>
    public static MatchBenchmarkResult Run(MatchBenchmarkOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        progress ??= static _ => { };
        var random = new Random(options.Seed);
        progress($"Generating {options.EntryCount:N0} entries...");
        var words = GenerateEntries(random, options);
        var queries = GenerateQueries(random, words, options);
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

        var persistence = options.SavePath is { } path ? MeasurePersistence(path, multiIndex, queries, options, multiHits, progress) : null;
        return new MatchBenchmarkResult(
            options,
            multiIndex.SubstringCount,
            bruteResult with { BuildTime = bruteBuild, BytesPerEntry = (double)bruteForce.StorageBytes / n },
            multiResult with { BuildTime = multiBuild, BytesPerEntry = (double)multiIndex.StorageBytes / n })
        {
            Persistence = persistence,
        };
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

    /// <summary>Random hashes, with a share replaced by clusters: a random centre and members a few bits from it.</summary>
    internal static ulong[] GenerateEntries(Random random, MatchBenchmarkOptions options)
    {
        int n = options.EntryCount;
        var words = LargeArrays.AllocateUninitialized<ulong>(n * PdqHash.WordCount);
        for (int start = 0; start < words.Length; start += 1 << 24)
        {
            random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(words.AsSpan(start, Math.Min(1 << 24, words.Length - start))));
        }
        int clustered = (int)(n * options.ClusteredFraction);
        int clusterSize = Math.Max(1, options.ClusterSize);
        for (int first = 0; first + clusterSize <= clustered; first += clusterSize)
        {
            // The first member (random) is the centre.
            var centre = words.AsSpan(first * PdqHash.WordCount, PdqHash.WordCount);
            for (int member = first + 1; member < first + clusterSize; member++)
            {
                var target = words.AsSpan(member * PdqHash.WordCount, PdqHash.WordCount);
                centre.CopyTo(target);
                FlipRandomBits(random, target, random.Next(1, options.ClusterMaxFlips + 1));
            }
        }

        return words;
    }

    /// <summary>Half the queries are an entry with up to radius bits flipped, half are random.</summary>
    internal static PdqHash[] GenerateQueries(Random random, ulong[] entryWords, MatchBenchmarkOptions options)
    {
        var queries = new PdqHash[options.QueryCount];
        Span<ulong> words = stackalloc ulong[PdqHash.WordCount];
        int entries = entryWords.Length / PdqHash.WordCount;
        for (int q = 0; q < queries.Length; q++)
        {
            if (q % 2 == 0 && entries > 0)
            {
                entryWords.AsSpan(random.Next(entries) * PdqHash.WordCount, PdqHash.WordCount).CopyTo(words);
                FlipRandomBits(random, words, random.Next(0, Math.Min(options.Radius, PdqHash.Bits) + 1));
            }
            else
            {
                for (int w = 0; w < words.Length; w++)
                {
                    words[w] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
                }
            }

            queries[q] = PdqHash.FromWords(words);
        }

        return queries;
    }

    /// <summary>Flips exactly <paramref name="flips"/> distinct bits.</summary>
    internal static void FlipRandomBits(Random random, Span<ulong> words, int flips)
    {
        Span<ulong> flipped = stackalloc ulong[PdqHash.WordCount];
        flipped.Clear();
        for (int done = 0; done < flips;)
        {
            int bit = random.Next(PdqHash.Bits);
            ulong mask = 1UL << bit;
            if ((flipped[bit >> 6] & mask) == 0)
            {
                flipped[bit >> 6] |= mask;
                words[bit >> 6] ^= mask;
                done++;
            }
        }
    }

    private static ulong[] AllEnabled(int n)
    {
        var bits = new ulong[HashSegment.BitmapLength(n)];
        bits.AsSpan().Fill(ulong.MaxValue);
        return bits;
    }
}
