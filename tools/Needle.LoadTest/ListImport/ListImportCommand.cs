using System.CommandLine;

namespace Needle.LoadTest.ListImport;

/// <summary><c>list-import</c>: list import over HTTP into a server on SQLite, and on PostgreSQL when given one.</summary>
internal static class ListImportCommand
{
    private const string PostgresVariable = "NEEDLE_POSTGRES";

    public static Command Create(LoadTestContext context)
    {
        var entries = new Option<int>("--entries") { Description = "Entries in the list (PDQ and MD5 alternating, with labels, categories, sources and metadata).", HelpName = "N", DefaultValueFactory = _ => 1_000_000 };
        var postgres = new Option<string?>("--postgres")
        {
            Description = $"A PostgreSQL connection string whose role may create databases (the run makes its own and drops it). Default: ${PostgresVariable}; none: SQLite only.",
        };
        var seed = new Option<int>("--seed") { Description = "Random seed of the list.", DefaultValueFactory = _ => 1 };
        var streamUpload = new Option<bool>("--stream-upload") { Description = "Generate the list straight into the request body (chunked) instead of a file first: no list file on disk (for 100M entries)." };
        var gzip = new Option<bool>("--gzip") { Description = "Send the body gzip-compressed (Content-Encoding: gzip); the server spools it compressed." };
        var postgresFirst = new Option<bool>("--postgres-first") { Description = "Import into PostgreSQL first, in a process whose code has not yet run an import (by default SQLite goes first and PostgreSQL runs on warmed-up code)." };
        var command = new Command("list-import",
            "Generate a list of N entries (Needle's native format) and time importing it over HTTP (POST /api/v1/lists/{name}/import, waiting for the job when answered 202) into a fresh server on SQLite, then on PostgreSQL: entries/s.")
        {
            entries, postgres, seed, streamUpload, gzip, postgresFirst,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var count = parse.GetValue(entries);
            if (count < 2)
            {
                context.Error.WriteLine("error: --entries must be 2 or more");
                return ExitCodes.Usage;
            }

            var connection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable(PostgresVariable);
            IReadOnlyList<(string Backend, double Seconds, double CpuSeconds)> results;
            try
            {
                results = await ListImportBenchmark.RunAsync(count, parse.GetValue(seed), connection, parse.GetValue(streamUpload), parse.GetValue(gzip), parse.GetValue(postgresFirst), line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            context.Out.WriteLine(FormattableString.Invariant($"Needle.LoadTest list-import: {count:N0} entries (PDQ + MD5, label, category, source, 2 metadata fields), {Environment.ProcessorCount} cores"));
            foreach (var (backend, seconds, cpu) in results)
            {
                context.Out.WriteLine(FormattableString.Invariant($"import {backend,-10} entries/s {count / seconds,10:F0} ({seconds:F1} s; {cpu:F1} CPU s in this process, {count / cpu:F0} entries per CPU s)"));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
