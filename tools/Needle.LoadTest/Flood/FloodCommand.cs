using System.CommandLine;
using Needle.LoadTest.Common;

namespace Needle.LoadTest.Flood;

/// <summary><c>flood</c>: an escalated report sent behind a backlog of N queued reports; how soon it is processed and scored.</summary>
internal static class FloodCommand
{
    public static Command Create(LoadTestContext context)
    {
        var backlog = new Option<int>("--backlog") { Description = "Reports queued ahead of the escalated one (one small generated JPEG each).", HelpName = "N", DefaultValueFactory = _ => 30_000 };
        var concurrency = new Option<int>("--concurrency") { Description = "Clients posting the backlog at once.", HelpName = "C", DefaultValueFactory = _ => 8 };
        var workers = new Option<int>("--workers") { Description = "Job workers of the node that then runs (one of them runs the video lane first).", HelpName = "W", DefaultValueFactory = _ => 2 };
        var drain = new Option<int>("--drain-seconds") { Description = "Seconds the backlog's drain is watched after the escalated report is scored (0: not watched).", HelpName = "S", DefaultValueFactory = _ => 60 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the images.", DefaultValueFactory = _ => 1 };
        var command = new Command("flood",
            "Post a backlog of N reports to an API-only node (their jobs stay queued), start a node with W workers on the same SQLite file, post an escalated report at once, and print the time until it is processed and scored, the backlog's accepted/s and POST latency, and processed/s while it drains.")
        {
            backlog, concurrency, workers, drain, seed,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new FloodBenchmarkOptions
            {
                Backlog = parse.GetValue(backlog),
                Concurrency = parse.GetValue(concurrency),
                Workers = parse.GetValue(workers),
                Drain = TimeSpan.FromSeconds(parse.GetValue(drain)),
                Seed = parse.GetValue(seed),
            };
            if (options.Backlog < 1 || options.Concurrency < 1 || options.Workers < 1 || options.Drain < TimeSpan.Zero)
            {
                context.Error.WriteLine("error: --backlog, --concurrency and --workers must be positive, --drain-seconds 0 or more");
                return ExitCodes.Usage;
            }

            FloodResult r;
            try
            {
                r = await FloodBenchmark.RunAsync(options, line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant(
                $"Needle.LoadTest flood: {r.Backlog} reports queued (one 160x120 JPEG each), then 1 escalated report; {options.Workers} workers, SQLite, 127.0.0.1, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant($"backlog accepted/s:        {r.ReportsAcceptedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"backlog POST p50 ms:       {Percentiles.Of(r.AckMs, 50):F1}"));
            o.WriteLine(FormattableString.Invariant($"backlog POST p99 ms:       {Percentiles.Of(r.AckMs, 99):F1}"));
            o.WriteLine(FormattableString.Invariant($"jobs ahead:                {r.JobsAhead}"));
            o.WriteLine(FormattableString.Invariant($"escalated accepted s:      {r.EscalatedAccepted.TotalSeconds:F3}"));
            o.WriteLine(FormattableString.Invariant($"escalated processed s:     {r.EscalatedProcessed.TotalSeconds:F3}"));
            o.WriteLine(FormattableString.Invariant($"escalated scored s:        {r.EscalatedScored.TotalSeconds:F3}"));
            o.WriteLine(FormattableString.Invariant($"backlog processed before:  {r.ReportsProcessedAhead}"));
            o.WriteLine(FormattableString.Invariant($"drain watched s:           {r.DrainWatched.TotalSeconds:F1}"));
            o.WriteLine(FormattableString.Invariant($"drain processed/s:         {r.ReportsProcessedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"drain estimate s:          {r.EstimatedDrain.TotalSeconds:F0}"));
            o.WriteLine(FormattableString.Invariant($"jobs open after:           {r.JobsAfterDrain}"));
            o.WriteLine("escalated: from its POST to the server's processed_at and score time (one clock); jobs ahead: open jobs when the workers started; backlog processed before: reports of the backlog");
            o.WriteLine("processed after the escalated one was received and before it was processed (those already held by a worker); drain: reports processed per second while watched.");
            return ExitCodes.Success;
        });
        return command;
    }
}
