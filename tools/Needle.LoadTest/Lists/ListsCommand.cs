using System.CommandLine;
using System.Text.Json;

namespace Needle.LoadTest.Lists;

/// <summary><c>lists</c>: a list of N PDQ + MD5 entries loaded, imported, restarted and looked up.</summary>
internal static class ListsCommand
{
    public static Command Create(LoadTestContext context)
    {
        var entries = new Option<int>("--entries") { Description = "Entries in the list (PDQ and MD5 alternating, with labels and metadata).", HelpName = "N", DefaultValueFactory = _ => 100_000 };
        var lookups = new Option<int>("--lookups") { Description = "HTTP lookups (GET /m/lookup): half near copies of listed hashes, half random.", HelpName = "L", DefaultValueFactory = _ => 20_000 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of untimed lookups (other queries) sent first, so the rate is a warm server's: a fresh process spends its first tens of thousands of requests in the JIT's lower tiers. Default: 20.", HelpName = "SECONDS", DefaultValueFactory = _ => 20 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent lookup clients.", HelpName = "C", DefaultValueFactory = _ => 16 };
        var check = new Option<int>("--check") { Description = "Lookups whose answer is compared with a brute-force scan.", HelpName = "K", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the list and the queries.", DefaultValueFactory = _ => 1 };
        var postgres = new Option<string?>("--postgres") { Description = "Also time the import into a server on PostgreSQL: a connection string whose role may create databases (each run makes its own and drops it). Default: $NEEDLE_POSTGRES; none: SQLite only.", HelpName = "CONNECTION" };
        var json = new Option<string?>("--json") { Description = "Also append the figures to FILE as one JSON line.", HelpName = "FILE" };
        var cliOnly = new Option<bool>("--cli-only") { Description = "Only the CLI side, no server: an N-line hash,quality,path CSV, then the built needle's scan --against list.csv, list compile and scan --against list.ndl under /usr/bin/time (wall, CPU, peak RSS), and the .ndl's open and first match." };
        var baseline = new Option<string?>("--baseline-needle") { Description = "With --cli-only: another needle (its needle.dll or apphost) to run the same commands with, in the same run.", HelpName = "PATH" };
        var nativeList = new Option<bool>("--native") { Description = "With --cli-only: the list in Needle's native format (PDQ and MD5 alternating, with labels, categories, sources and two metadata fields, as the server run imports) instead of a CSV." };
        var serverOnly = new Option<bool>("--server-only") { Description = "Only the server part: import, cold start and the lookups (no scan load, no compile)." };
        var streamUpload = new Option<bool>("--stream-upload") { Description = "With --server-only: generate the list straight into the import's request body, no list file on disk (the 100M run)." };
        var snapshots = new Option<bool>("--snapshots") { Description = "With --server-only: the server keeps list snapshots; the importing server writes one as it stops and the cold start reads it." };
        var lean = new Option<bool>("--lean") { Description = "With --stream-upload: entries carry only a label and a category (hash, identifier, classification, as industry hash lists ship them), no source or metadata: a smaller database for the 100M run." };
        var gzip = new Option<bool>("--gzip") { Description = "Send the import's body gzip-compressed (Content-Encoding: gzip)." };
        var folder = new Option<string?>("--folder") { Description = "With --cli-only: where the CSV and .ndl go (deleted afterwards). Default: a new folder under the temp folder.", HelpName = "DIR" };
        var keep = new Option<string?>("--keep") { Description = "With --server-only: keep the server's database and snapshots in DIR; a later run with the same --entries, --seed and --lean skips the import and only restarts and looks up.", HelpName = "DIR" };
        var command = new Command("lists",
            "Generate a list of N entries, then time: loading it as needle scan --against does (native file, CSV of its PDQ half, and compiled .ndl: compile, open, first match) with memory per entry, importing it into a server on SQLite over HTTP, the server's cold start until /readyz with memory per entry, and L lookups from C clients (rate, p50, p99), checked against brute force.")
        {
            entries, lookups, concurrency, check, seed, postgres, json, cliOnly, baseline, folder, serverOnly, nativeList, streamUpload, gzip, snapshots, lean, keep, warmup,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(cliOnly))
            {
                return RunCli(context, parse.GetValue(entries), parse.GetValue(seed), parse.GetValue(check), parse.GetValue(folder), parse.GetValue(baseline), parse.GetValue(nativeList), parse.GetValue(json));
            }

            var options = new ListsBenchmarkOptions
            {
                Entries = parse.GetValue(entries),
                Lookups = parse.GetValue(lookups),
                Concurrency = parse.GetValue(concurrency),
                Checked = parse.GetValue(check),
                Seed = parse.GetValue(seed),
                ServerOnly = parse.GetValue(serverOnly),
                StreamUpload = parse.GetValue(streamUpload),
                Gzip = parse.GetValue(gzip),
                Snapshots = parse.GetValue(snapshots),
                Lean = parse.GetValue(lean),
                KeepFolder = parse.GetValue(keep),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                PostgresConnection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("NEEDLE_POSTGRES"),
            };
            if (options.Entries < 2 || options.Lookups < 1 || options.Concurrency < 1 || options.Checked < 0 || options.Warmup < TimeSpan.Zero)
            {
                context.Error.WriteLine("error: --entries must be 2 or more, --lookups and --concurrency positive, --check and --warmup 0 or more");
                return ExitCodes.Usage;
            }

            ListsRunResult r;
            try
            {
                r = await ListsBenchmark.RunAsync(options, line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException or Npgsql.NpgsqlException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant(
                $"Needle.LoadTest lists: {r.Entries:N0} entries (PDQ + MD5, {(options.Lean ? "label and category only" : "label, category, source, 2 metadata fields")}), SQLite, {options.Concurrency} clients, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant($"scan load native s      {r.ScanNativeSeconds:F2}"));
            o.WriteLine(FormattableString.Invariant($"scan load CSV s         {r.ScanCsvSeconds:F2} ({r.CsvEntries} PDQ entries)"));
            o.WriteLine(FormattableString.Invariant($"scan B/entry            {r.ScanManagedBytesPerEntry:F0} managed, {r.ScanRssBytesPerEntry:F0} resident"));
            if (r.Compiled is { } c)
            {
                o.WriteLine(FormattableString.Invariant($"compile .ndl s          {c.CompileSeconds:F2} ({c.Bytes / 1e6:F0} MB)"));
                o.WriteLine(FormattableString.Invariant($"scan open .ndl s        {c.OpenSeconds:F3}"));
                o.WriteLine(FormattableString.Invariant($"scan .ndl first match s {c.FirstMatchSeconds:F2} (verifies the column checksums)"));
                o.WriteLine(FormattableString.Invariant($"scan .ndl B/entry       {c.RssBytesPerEntry:F0} resident (mapped pages touched)"));
                o.WriteLine(FormattableString.Invariant($"scan .ndl identical     {c.CheckedIdentical}/{c.Checked}"));
            }

            o.WriteLine(FormattableString.Invariant($"import entries/s        {r.ImportEntriesPerSecond:F0}"));
            if (r.PostgresImportEntriesPerSecond is { } postgresRate)
            {
                o.WriteLine(FormattableString.Invariant($"import PostgreSQL /s    {postgresRate:F0}"));
            }
            o.WriteLine(FormattableString.Invariant($"cold start s            {r.ColdStartSeconds:F2}"));
            o.WriteLine(FormattableString.Invariant($"server B/entry          {r.ServerRssBytesPerEntry:F0} resident (needle serve's VmRSS over an empty one's; peak {r.ServerPeakRssBytes / 1e6:F0} MB)"));
            o.WriteLine(FormattableString.Invariant($"lookups/s               {r.LookupsPerSecond:F0}"));
            o.WriteLine(FormattableString.Invariant($"lookup p50 ms           {r.LookupP50Ms:F2}"));
            o.WriteLine(FormattableString.Invariant($"lookup p99 ms           {r.LookupP99Ms:F2}"));
            o.WriteLine(FormattableString.Invariant($"lookup CPU us/lookup    {r.LookupServerCpuMicroseconds:F0} server, {r.LookupClientCpuMicroseconds:F0} clients"));
            o.WriteLine(FormattableString.Invariant($"brute force identical   {r.CheckedIdentical}/{r.Checked}"));
            if (parse.GetValue(json) is { } jsonPath)
            {
                File.AppendAllText(jsonPath, JsonSerializer.Serialize(new { harness = "lists", cores = Environment.ProcessorCount, concurrency = options.Concurrency, result = r }) + "\n");
            }

            var compiledIdentical = r.Compiled is not { } compiled || compiled.CheckedIdentical == compiled.Checked;
            return r.CheckedIdentical == r.Checked && compiledIdentical ? ExitCodes.Success : ExitCodes.RunFailed;
        });
        return command;
    }

    private static int RunCli(LoadTestContext context, int entries, int seed, int check, string? folderOption, string? baseline, bool native, string? jsonPath)
    {
        if (entries < 1 || check < 1)
        {
            context.Error.WriteLine("error: --entries and --check must be positive");
            return ExitCodes.Usage;
        }

        var folder = Path.Combine(folderOption ?? Path.GetTempPath(), "needle-cli-lists-" + Guid.NewGuid().ToString("N"));
        CliListsRunResult r;
        try
        {
            r = CliListsBenchmark.Run(entries, seed, check, folder, baseline, native, line => context.Error.WriteLine(line));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            context.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.RunFailed;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        var o = context.Out;
        o.WriteLine(FormattableString.Invariant($"Needle.LoadTest lists --cli-only: {r.Entries:N0} {(native ? "native entries, PDQ and MD5" : "PDQ lines")} ({r.CsvBytes / 1e6:F0} MB {(native ? "native list" : "CSV")}, {r.NdlBytes / 1e6:F0} MB .ndl), {Environment.ProcessorCount} cores"));
        o.WriteLine("needle    step         wall s   cpu s  peak RSS MB  B/entry  peak anon MB  B/entry");
        foreach (var run in r.Runs)
        {
            o.WriteLine(FormattableString.Invariant(
                $"{run.Needle,-9} {run.Step,-11} {run.WallSeconds,7:F2} {run.CpuSeconds,7:F2} {run.PeakRssBytes / 1e6,12:F0} {run.PeakRssBytes / (double)r.Entries,8:F0} {run.PeakAnonymousBytes / 1e6,13:F0} {run.PeakAnonymousBytes / (double)r.Entries,8:F0}"));
        }

        o.WriteLine(FormattableString.Invariant($".ndl open s             {r.OpenSeconds:F3}"));
        o.WriteLine(FormattableString.Invariant($".ndl {r.Checked} lookups s    {r.LookupSeconds:F2} (the first verifies the PDQ columns)"));
        o.WriteLine(FormattableString.Invariant($"listed hashes found     {r.Found}/{r.Checked}"));
        if (jsonPath is not null)
        {
            File.AppendAllText(jsonPath, JsonSerializer.Serialize(new { harness = "lists-cli", cores = Environment.ProcessorCount, result = r }) + "\n");
        }

        return r.Found == r.Checked ? ExitCodes.Success : ExitCodes.RunFailed;
    }
}
