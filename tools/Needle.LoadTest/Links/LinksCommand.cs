using System.CommandLine;

namespace Needle.LoadTest.Links;

/// <summary><c>links</c>: N reports reusing M images; link storage and the triage rate as copies grow.</summary>
internal static class LinksCommand
{
    public static Command Create(LoadTestContext context)
    {
        var reports = new Option<int>("--reports") { Description = "Reports posted, each holding one of the images.", HelpName = "N", DefaultValueFactory = _ => 50_000 };
        var images = new Option<int>("--images") { Description = "Distinct images (320x240 generated JPEGs) the reports reuse.", HelpName = "M", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Clients posting at once.", HelpName = "C", DefaultValueFactory = _ => 8 };
        var workers = new Option<int>("--workers") { Description = "Job workers of the node.", HelpName = "W", DefaultValueFactory = _ => 2 };
        var robust = new Option<string>("--robust") { Description = "The node's robust tier (on, as in the product; off: hashes only, to measure links and triage alone).", HelpName = "on|off", DefaultValueFactory = _ => "on" };
        robust.AcceptOnlyFromAmong("on", "off");
        var timeout = new Option<int>("--timeout-minutes") { Description = "Longest wait for every report to be triaged; the figures are then of those triaged.", HelpName = "MIN", DefaultValueFactory = _ => 60 };
        var command = new Command("links",
            "Post N reports reusing M images (viral media) to a node with W workers on a temporary SQLite file, wait for their triage, and print the link tables' rows and bytes and the triage rate at the start and at the end.")
        {
            reports, images, concurrency, workers, timeout, robust,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(reports);
            var m = parse.GetValue(images);
            var c = parse.GetValue(concurrency);
            var w = parse.GetValue(workers);
            var minutes = parse.GetValue(timeout);
            if (n < 1 || m < 1 || c < 1 || w < 1 || minutes < 1)
            {
                context.Error.WriteLine("error: --reports, --images, --concurrency, --workers and --timeout-minutes must be positive");
                return ExitCodes.Usage;
            }

            LinksResult r;
            try
            {
                r = await LinksBenchmark.RunAsync(n, m, c, w, parse.GetValue(robust) != "off", TimeSpan.FromMinutes(minutes), line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant($"Needle.LoadTest links: {r.Reports} reports reusing {r.Images} images; {w} workers, robust tier {parse.GetValue(robust)}, SQLite, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant($"accepted/s:              {r.ReportsAcceptedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"triaged:                 {r.Triaged}"));
            o.WriteLine(FormattableString.Invariant($"triage wall s:           {r.TriageWall.TotalSeconds:F0}"));
            o.WriteLine(FormattableString.Invariant($"triaged/s first tenth:   {r.FirstTriagedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"triaged/s last tenth:    {r.LastTriagedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"link member rows:        {r.LinkMembers}"));
            o.WriteLine(FormattableString.Invariant($"link cluster rows:       {r.LinkClusters}"));
            o.WriteLine(FormattableString.Invariant($"link tables MB:          {r.LinkTableBytes / 1048576.0:F2}"));
            o.WriteLine(FormattableString.Invariant($"link key rows:           {r.KeyRows}"));
            o.WriteLine(FormattableString.Invariant($"link key table MB:       {r.KeyTableBytes / 1048576.0:F2}"));
            o.WriteLine(FormattableString.Invariant($"database MB:             {r.DatabaseBytes / 1048576.0:F1}"));
            o.WriteLine(FormattableString.Invariant($"robust feature rows:     {r.RobustRows}"));
            o.WriteLine(FormattableString.Invariant($"robust features MB:      {r.RobustTableBytes / 1048576.0:F2}"));
            o.WriteLine(FormattableString.Invariant($"jobs open at the end:    {r.OpenJobs}"));
            o.WriteLine(FormattableString.Invariant($"processed/s:             {r.ProcessedPerSecond:F1}"));
            o.WriteLine(FormattableString.Invariant($"backlog drain s:         {r.DrainWall.TotalSeconds:F0}"));
            o.WriteLine(FormattableString.Invariant($"triage job ms first:     {r.FirstTriageJobMs:F1}"));
            o.WriteLine(FormattableString.Invariant($"triage job ms last:      {r.LastTriageJobMs:F1}"));
            o.WriteLine("link tables: link_clusters and link_members with their indexes (copied into an empty file); link keys: report_keys (each report's hashes and");
            o.WriteLine("attributes, read to find links). triaged/s: over the first and the last tenth of the reports triaged, by their first score's time.");
            o.WriteLine("processed/s: reports hashed per second, first to last; backlog drain: last report accepted to last triaged; triage job ms: mean");
            o.WriteLine("wall time of a triage job (lease, reads, link writes, score) over the first and the last tenth of them.");
            return ExitCodes.Success;
        });
        return command;
    }
}
