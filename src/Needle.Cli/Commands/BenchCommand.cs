using System.CommandLine;
using System.Diagnostics;
using Needle.Matching.Index;
using Needle.Video;

namespace Needle.Cli.Commands;

/// <summary><c>needle bench</c>: measurements that belong on the operator's own machine, not in unit tests.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("bench", "Measure Needle on this machine.");
        command.Subcommands.Add(Match(context));
        command.Subcommands.Add(Serve(context));
        command.Subcommands.Add(Workers(context));
        command.Subcommands.Add(Video(context));
        return command;
    }

    private static Command Workers(CliContext context)
    {
        var postgres = new Option<string?>("--postgres")
        {
            Description = $"A PostgreSQL connection string whose role may create databases (each run makes its own and drops it). Default: ${Infrastructure.NodeOptionSet.PostgresVariable}.",
            HelpName = "CONNECTION",
        };
        var processes = new Option<string>("--processes") { Description = "Worker process counts to run, comma-separated. Default: 1,2,4.", HelpName = "LIST", DefaultValueFactory = _ => "1,2,4" };
        var concurrency = new Option<int>("--concurrency") { Description = "Jobs at once per worker process. Default: 1.", HelpName = "N", DefaultValueFactory = _ => 1 };
        var reports = new Option<int>("--reports") { Description = "Reports per run.", HelpName = "N", DefaultValueFactory = _ => 200 };
        var filesPerReport = new Option<int>("--files-per-report") { Description = "Generated JPEGs (50-200 KB, all distinct) per report.", HelpName = "K", DefaultValueFactory = _ => 2 };
        var listEntries = new Option<int>("--list-entries") { Description = "Random PDQ entries in the list.", HelpName = "M", DefaultValueFactory = _ => 10_000 };
        var changes = new Option<int>("--changes") { Description = "List entries added one at a time, each timed until every worker applied it.", HelpName = "C", DefaultValueFactory = _ => 20 };
        var poll = new Option<double>("--list-poll") { Description = "The workers' list poll interval, seconds. Default: 2.", HelpName = "SECONDS", DefaultValueFactory = _ => 2 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the images and the list.", DefaultValueFactory = _ => 1 };
        var command = new Command("workers",
            "Run an API node here and 1, 2, 4 'needle worker' processes on a fresh PostgreSQL database each time: files/s processed (jobs released at once after every worker is up), the ratio to 1 process, and how long a new list entry takes to be applied by every worker (p50/p95).")
        {
            postgres, processes, concurrency, reports, filesPerReport, listEntries, changes, poll, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var connection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable(Infrastructure.NodeOptionSet.PostgresVariable);
            var counts = (parse.GetValue(processes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();
            if (string.IsNullOrWhiteSpace(connection) || counts.Count == 0 || counts.Any(c => c is < 1 or > 64) || parse.GetValue(reports) < 1 ||
                parse.GetValue(filesPerReport) is < 1 or > 100 || parse.GetValue(concurrency) < 1 || parse.GetValue(changes) < 0 || !(parse.GetValue(poll) > 0))
            {
                context.Error.WriteLine("error: give --postgres (or set NEEDLE_POSTGRES); --processes 1-64 each; --reports, --concurrency, --list-poll positive; --files-per-report 1 to 100");
                return ExitCodes.Usage;
            }

            var options = new WorkersBenchmarkOptions
            {
                AdminConnectionString = connection,
                Processes = counts,
                ConcurrencyPerProcess = parse.GetValue(concurrency),
                Reports = parse.GetValue(reports),
                FilesPerReport = parse.GetValue(filesPerReport),
                ListEntries = parse.GetValue(listEntries),
                Changes = parse.GetValue(changes),
                ListPoll = TimeSpan.FromSeconds(parse.GetValue(poll)),
                Seed = parse.GetValue(seed),
            };
            var images = ServeBenchmark.GenerateImages((options.Reports + WorkersBenchmark.WarmupReports(counts.Max(), options)) * options.FilesPerReport, options.Seed);
            var runs = new List<WorkersRunResult>();
            try
            {
                foreach (var count in counts)
                {
                    runs.Add(await WorkersBenchmark.RunAsync(options, count, images, line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException or Npgsql.NpgsqlException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.SomeFilesFailed;
            }

            var o = context.Out;
            var baseline = runs[0];
            o.WriteLine(FormattableString.Invariant(
                $"needle bench workers: {options.Reports} reports x {options.FilesPerReport} JPEGs, list of {options.ListEntries:N0} PDQ entries, {options.ConcurrencyPerProcess} job(s) at once per process, PostgreSQL, {Environment.ProcessorCount} cores shared by the database, the API node and the workers"));
            o.WriteLine(FormattableString.Invariant($"{"processes",9} {"files/s",9} {"ratio",6} {"seconds",8} {"visible p50",12} {"visible p95",12} {"max",8}"));
            foreach (var r in runs)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Processes,9} {r.FilesPerSecond,9:F1} {r.FilesPerSecond / baseline.FilesPerSecond,6:F2} {r.Processing.TotalSeconds,8:F1} {ServeBenchmark.Percentile(r.VisibleMs, 50),10:F0}ms {ServeBenchmark.Percentile(r.VisibleMs, 95),10:F0}ms {(r.VisibleMs.Count == 0 ? double.NaN : r.VisibleMs.Max()),6:F0}ms"));
            }

            o.WriteLine(FormattableString.Invariant(
                $"ratio: files/s against the first row; visible: from the POST adding an entry until every worker's /readyz shows it applied (poll {options.ListPoll.TotalSeconds:F1} s, 50-150 % jitter)."));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Video(CliContext context)
    {
        var codecs = new Option<string[]>("--codec")
        {
            Description = "Codecs to measure (repeatable): h264, hevc, vp9, mpeg4.",
            DefaultValueFactory = _ => VideoBenchmark.KnownCodecs,
            AllowMultipleArgumentsPerToken = true,
        };
        var heights = new Option<int[]>("--height")
        {
            Description = "Frame heights to measure (repeatable; 16:9 width).",
            DefaultValueFactory = _ => [480, 720, 1080],
            AllowMultipleArgumentsPerToken = true,
        };
        var duration = new Option<int>("--duration") { Description = "Seconds of each generated clip.", DefaultValueFactory = _ => 60 };
        var runs = new Option<int>("--runs") { Description = "Runs per path and clip (the fastest counts).", DefaultValueFactory = _ => 2 };
        var work = new Option<DirectoryInfo>("--work-dir")
        {
            Description = "Where generated clips are kept and reused.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "needle-video-bench")),
        };
        var command = new Command("video",
            "Generate benign 30 fps clips per codec and height, hash each with the reference decode path and the fast one (1 frame/s), and print seconds of video hashed per second of wall time for both, their ratio, and how far the fast hashes are from the reference's.")
        {
            codecs, heights, duration, runs, work,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new VideoBenchmarkOptions
            {
                WorkDirectory = parse.GetValue(work)!.FullName,
                Codecs = parse.GetValue(codecs)!,
                Heights = parse.GetValue(heights)!,
                DurationSeconds = parse.GetValue(duration),
                Runs = parse.GetValue(runs),
            };
            if (options.DurationSeconds < 2 || options.Runs < 1 || options.Heights.Any(h => h is < 16 or > 4320) ||
                options.Codecs.Any(c => !VideoBenchmark.KnownCodecs.Contains(c, StringComparer.Ordinal)))
            {
                context.Error.WriteLine($"error: --duration must be 2 or more, --runs 1 or more, --height 16..4320, --codec one of {string.Join(", ", VideoBenchmark.KnownCodecs)}");
                return Task.FromResult(ExitCodes.Usage);
            }

            IReadOnlyList<VideoBenchmarkRow> rows;
            try
            {
                rows = VideoBenchmark.Run(options, line => context.Error.WriteLine(line), cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or VideoHashException or IOException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return Task.FromResult(ExitCodes.SomeFilesFailed);
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant(
                $"needle bench video: {options.DurationSeconds} s clips, 30 fps, 1 frame/s hashed, best of {options.Runs} runs per path, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant(
                $"{"codec",-6} {"height",6} {"frames",6} {"reference",9} | {"fast",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11} | {"skip-B",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11}"));
            foreach (var r in rows)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Codec,-6} {r.Height,6} {r.Frames,6} {r.ReferenceSpeed,8:F1}x | {FormatPath(r.Fast, r.ReferenceSpeed)} | {FormatPath(r.SkipB, r.ReferenceSpeed)}"));
            }

            o.WriteLine("speed: seconds of video hashed per second of wall time (probe + decode + PDQ, no file digests); ratio: to the reference path in the same run;");
            o.WriteLine("max/mean/<=8: Hamming distance to the reference path's hash of each sampled frame; q%/k%: vPDQ match of the path's hash against the reference's (distance 31).");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Command Serve(CliContext context)
    {
        var reports = new Option<int>("--reports") { Description = "Reports posted.", HelpName = "N", DefaultValueFactory = _ => 500 };
        var filesPerReport = new Option<int>("--files-per-report") { Description = "Generated JPEGs (50-200 KB, all distinct) per report.", HelpName = "K", DefaultValueFactory = _ => 2 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent clients posting.", HelpName = "C", DefaultValueFactory = _ => 8 };
        var workers = new Option<int>("--workers") { Description = "Report workers of the server; a run with 1 worker is made too, for the ratio.", HelpName = "W", DefaultValueFactory = _ => 2 };
        var listEntries = new Option<int>("--list-entries") { Description = "Random PDQ entries loaded into a list first (0: none).", HelpName = "M", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the images and the list.", DefaultValueFactory = _ => 1 };
        var command = new Command("serve",
            "Start a server in this process (Kestrel on 127.0.0.1, a temporary SQLite file), post N reports of K generated JPEGs from C clients, and print reports/s and files/s accepted (POST to 202), files/s processed (until the queue is empty) and POST-to-processed latency, with W workers and with 1.")
        {
            reports, filesPerReport, concurrency, workers, listEntries, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServeBenchmarkOptions
            {
                Reports = parse.GetValue(reports),
                FilesPerReport = parse.GetValue(filesPerReport),
                Concurrency = parse.GetValue(concurrency),
                Workers = parse.GetValue(workers),
                ListEntries = parse.GetValue(listEntries),
                Seed = parse.GetValue(seed),
            };
            if (options.Reports < 1 || options.FilesPerReport is < 1 or > 100 || options.Concurrency < 1 || options.Workers < 1 || options.ListEntries < 0)
            {
                context.Error.WriteLine("error: --reports, --concurrency and --workers must be positive, --files-per-report 1 to 100, --list-entries 0 or more");
                return ExitCodes.Usage;
            }

            var o = context.Out;
            var generate = Stopwatch.StartNew();
            var images = ServeBenchmark.GenerateImages(options.Reports * options.FilesPerReport, options.Seed);
            var sizes = images.Select(i => i.Length / 1024.0).ToArray();
            context.Error.WriteLine(FormattableString.Invariant(
                $"generated {images.Length} JPEGs (640x480, {sizes.Min():F0}-{sizes.Max():F0} KB, mean {sizes.Average():F0} KB) in {generate.Elapsed.TotalSeconds:F1} s"));

            var runs = new List<ServeRunResult>();
            try
            {
                // Warm-up (not measured): JIT and first-use costs of the whole path, so the first measured run is not penalised.
                await ServeBenchmark.RunAsync(options with { Reports = Math.Min(options.Reports, 20), ListEntries = Math.Min(options.ListEntries, 1000) },
                    options.Workers, images, _ => { }, cancellationToken).ConfigureAwait(false);
                foreach (var w in options.Workers == 1 ? [1] : new[] { 1, options.Workers })
                {
                    runs.Add(await ServeBenchmark.RunAsync(options, w, images, line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.SomeFilesFailed;
            }

            o.WriteLine(FormattableString.Invariant(
                $"needle bench serve: {options.Reports} reports x {options.FilesPerReport} JPEGs (mean {sizes.Average():F0} KB), {options.Concurrency} clients, list of {options.ListEntries:N0} PDQ entries, SQLite synchronous=FULL, 127.0.0.1, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant(
                $"{"workers",7} {"reports/s",10} {"files/s",9} {"files/s",10} {"202 p50",8} {"202 p99",8} {"done p50",9} {"done p95",9} {"done p99",9} {"drained",8}"));
            o.WriteLine(FormattableString.Invariant(
                $"{"",7} {"accepted",10} {"accepted",9} {"processed",10} {"ms",8} {"ms",8} {"ms",9} {"ms",9} {"ms",9} {"s",8}"));
            foreach (var r in runs)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Workers,7} {r.ReportsAcceptedPerSecond,10:F1} {r.FilesAcceptedPerSecond,9:F1} {r.FilesProcessedPerSecond,10:F1} {ServeBenchmark.Percentile(r.AckMs, 50),8:F0} {ServeBenchmark.Percentile(r.AckMs, 99),8:F0} {ServeBenchmark.Percentile(r.DoneMs, 50),9:F0} {ServeBenchmark.Percentile(r.DoneMs, 95),9:F0} {ServeBenchmark.Percentile(r.DoneMs, 99),9:F0} {r.ProcessWall.TotalSeconds,8:F1}"));
            }

            if (runs.Count == 2)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"ratio: {runs[1].Workers} workers process {runs[1].FilesProcessedPerSecond / runs[0].FilesProcessedPerSecond:F2}x the files/s of 1 worker, accept {runs[1].FilesAcceptedPerSecond / runs[0].FilesAcceptedPerSecond:F2}x the files/s"));
            }

            o.WriteLine("accepted: POST to 202 (durable), over the time until the last 202; processed: first POST until the job queue is empty;");
            o.WriteLine("done: the server's processed_at minus the client's send time of each report (one clock); the clients share the machine's cores with the server.");
            var notHashed = runs.Sum(r => r.FilesNotHashed);
            if (notHashed > 0)
            {
                context.Error.WriteLine($"warning: {notHashed} files were not hashed (unreadable)");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string FormatPath(VideoPathResult p, double referenceSpeed) => FormattableString.Invariant(
        $"{p.Speed,5:F1}x {p.Speed / referenceSpeed,5:F2}x {p.MaxDistance,4} {p.MeanDistance,5:F1} {p.ShareWithin8,5:P0} {p.QueryPercent,5:F0}/{p.KnownPercent,-5:F0}");

    private static Command Match(CliContext context)
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
                return ExitCodes.SomeFilesFailed;
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

            return ExitCodes.Success;
        });
        return command;
    }
}
