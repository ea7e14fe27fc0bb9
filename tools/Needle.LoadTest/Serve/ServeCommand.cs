using System.CommandLine;
using System.Diagnostics;
using Needle.LoadTest.Common;

namespace Needle.LoadTest.Serve;

/// <summary><c>serve</c>: a server in this process under load from concurrent clients, with 1 worker and with W.</summary>
internal static class ServeCommand
{
    public static Command Create(LoadTestContext context)
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
            var images = GeneratedJpegs.Generate(options.Reports * options.FilesPerReport, options.Seed);
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
                return ExitCodes.RunFailed;
            }

            o.WriteLine(FormattableString.Invariant(
                $"Needle.LoadTest serve: {options.Reports} reports x {options.FilesPerReport} JPEGs (mean {sizes.Average():F0} KB), {options.Concurrency} clients, list of {options.ListEntries:N0} PDQ entries, SQLite synchronous=FULL, 127.0.0.1, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant(
                $"{"workers",7} {"reports/s",10} {"files/s",9} {"files/s",10} {"202 p50",8} {"202 p99",8} {"done p50",9} {"done p95",9} {"done p99",9} {"drained",8}"));
            o.WriteLine(FormattableString.Invariant(
                $"{"",7} {"accepted",10} {"accepted",9} {"processed",10} {"ms",8} {"ms",8} {"ms",9} {"ms",9} {"ms",9} {"s",8}"));
            foreach (var r in runs)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Workers,7} {r.ReportsAcceptedPerSecond,10:F1} {r.FilesAcceptedPerSecond,9:F1} {r.FilesProcessedPerSecond,10:F1} {Percentiles.Of(r.AckMs, 50),8:F0} {Percentiles.Of(r.AckMs, 99),8:F0} {Percentiles.Of(r.DoneMs, 50),9:F0} {Percentiles.Of(r.DoneMs, 95),9:F0} {Percentiles.Of(r.DoneMs, 99),9:F0} {r.ProcessWall.TotalSeconds,8:F1}"));
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
}
