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
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent lookup clients.", HelpName = "C", DefaultValueFactory = _ => 16 };
        var check = new Option<int>("--check") { Description = "Lookups whose answer is compared with a brute-force scan.", HelpName = "K", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the list and the queries.", DefaultValueFactory = _ => 1 };
        var postgres = new Option<string?>("--postgres") { Description = "Also time the import into a server on PostgreSQL: a connection string whose role may create databases (each run makes its own and drops it). Default: $NEEDLE_POSTGRES; none: SQLite only.", HelpName = "CONNECTION" };
        var json = new Option<string?>("--json") { Description = "Also append the figures to FILE as one JSON line.", HelpName = "FILE" };
        var command = new Command("lists",
            "Generate a list of N entries, then time: loading it as needle scan --against does (native file, CSV of its PDQ half, and compiled .ndl: compile, open, first match) with memory per entry, importing it into a server on SQLite over HTTP, the server's cold start until /readyz with memory per entry, and L lookups from C clients (rate, p50, p99), checked against brute force.")
        {
            entries, lookups, concurrency, check, seed, postgres, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ListsBenchmarkOptions
            {
                Entries = parse.GetValue(entries),
                Lookups = parse.GetValue(lookups),
                Concurrency = parse.GetValue(concurrency),
                Checked = parse.GetValue(check),
                Seed = parse.GetValue(seed),
                PostgresConnection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("NEEDLE_POSTGRES"),
            };
            if (options.Entries < 2 || options.Lookups < 1 || options.Concurrency < 1 || options.Checked < 0)
            {
                context.Error.WriteLine("error: --entries must be 2 or more, --lookups and --concurrency positive, --check 0 or more");
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
                $"Needle.LoadTest lists: {r.Entries:N0} entries (PDQ + MD5, label, category, source, 2 metadata fields), SQLite, {options.Concurrency} clients, {Environment.ProcessorCount} cores"));
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
            o.WriteLine(FormattableString.Invariant($"server B/entry          {r.ServerManagedBytesPerEntry:F0} managed, {r.ServerRssBytesPerEntry:F0} resident"));
            o.WriteLine(FormattableString.Invariant($"lookups/s               {r.LookupsPerSecond:F0}"));
            o.WriteLine(FormattableString.Invariant($"lookup p50 ms           {r.LookupP50Ms:F2}"));
            o.WriteLine(FormattableString.Invariant($"lookup p99 ms           {r.LookupP99Ms:F2}"));
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
}
