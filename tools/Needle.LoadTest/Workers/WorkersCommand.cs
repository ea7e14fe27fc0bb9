using System.CommandLine;
using System.Globalization;
using Needle.LoadTest.Common;

namespace Needle.LoadTest.Workers;

/// <summary><c>workers</c>: an API node here and 1, 2, 4 <c>needle worker</c> processes on a fresh PostgreSQL database each.</summary>
internal static class WorkersCommand
{
    /// <summary>The variable <c>needle serve</c> and <c>needle worker</c> read the connection string from, too.</summary>
    private const string PostgresVariable = "NEEDLE_POSTGRES";

    public static Command Create(LoadTestContext context)
    {
        var postgres = new Option<string?>("--postgres")
        {
            Description = $"A PostgreSQL connection string whose role may create databases (each run makes its own and drops it). Default: ${PostgresVariable}.",
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
            var connection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable(PostgresVariable);
            var counts = (parse.GetValue(processes) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();
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
            try
            {
                // Before anything is generated or created: without needle there are no workers to measure.
                NeedleExecutable.StartInfo();
            }
            catch (InvalidOperationException ex)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            var images = GeneratedJpegs.Generate((options.Reports + WorkersBenchmark.WarmupReports(counts.Max(), options)) * options.FilesPerReport, options.Seed);
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
                return ExitCodes.RunFailed;
            }

            var o = context.Out;
            var baseline = runs[0];
            o.WriteLine(FormattableString.Invariant(
                $"Needle.LoadTest workers: {options.Reports} reports x {options.FilesPerReport} JPEGs, list of {options.ListEntries:N0} PDQ entries, {options.ConcurrencyPerProcess} job(s) at once per process, PostgreSQL, {Environment.ProcessorCount} cores shared by the database, the API node and the workers"));
            o.WriteLine(FormattableString.Invariant($"{"processes",9} {"files/s",9} {"ratio",6} {"seconds",8} {"visible p50",12} {"visible p95",12} {"max",8}"));
            foreach (var r in runs)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Processes,9} {r.FilesPerSecond,9:F1} {r.FilesPerSecond / baseline.FilesPerSecond,6:F2} {r.Processing.TotalSeconds,8:F1} {Percentiles.Of(r.VisibleMs, 50),10:F0}ms {Percentiles.Of(r.VisibleMs, 95),10:F0}ms {(r.VisibleMs.Count == 0 ? double.NaN : r.VisibleMs.Max()),6:F0}ms"));
            }

            o.WriteLine(FormattableString.Invariant(
                $"ratio: files/s against the first row; visible: from the POST adding an entry until every worker's /readyz shows it applied (poll {options.ListPoll.TotalSeconds:F1} s, 50-150 % jitter)."));
            return ExitCodes.Success;
        });
        return command;
    }
}
