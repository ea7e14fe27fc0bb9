using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Needle.Cli.Infrastructure;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Cli.Commands;

/// <summary><c>needle list convert|stats|verify|build|compile</c>: work with hash-list files.</summary>
internal static class ListCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("list", "Convert, summarise and check hash-list files (csv, text, vics, icse, ncmec, stopncii, needle).");
        command.Subcommands.Add(Convert(context));
        command.Subcommands.Add(Stats(context));
        command.Subcommands.Add(Verify(context));
        command.Subcommands.Add(ListBuildCommand.Create(context));
        command.Subcommands.Add(ListCompileCommand.Create(context));
        return command;
    }

    private static Option<string?> FromOption() => new("--from")
    {
        Description = "Force the input format instead of detecting it: " + FormatNames() + ".",
        HelpName = "FORMAT",
    };

    private static string FormatNames() => string.Join(", ", HashListFormats.Default.Formats.Select(f => f.Name));

    private static Command Convert(CliContext context)
    {
        var input = new Argument<string>("INPUT") { Description = "The list file to read." };
        var to = new Option<string>("--to")
        {
            Description = "Output format: " + FormatNames() + ".",
            Required = true,
            HelpName = "FORMAT",
        };
        var outFile = new Option<string>("--out", "-o") { Description = "The file to write ('-' for stdout).", Required = true, HelpName = "FILE" };
        var from = FromOption();
        var skipInvalid = new Option<bool>("--skip-invalid")
        {
            Description = "Import the valid records and list the bad ones on stderr, instead of refusing the whole file.",
        };
        var name = new Option<string?>("--name") { Description = "The list's name (default: the input file's name).", HelpName = "NAME" };
        var allow = new Option<bool>("--allow-list") { Description = "Mark the list as an allow-list of known false positives." };
        var command = new Command("convert", "Read a list in one format and write it in another.")
        {
            input, to, outFile, from, skipInvalid, name, allow,
        };
        command.SetAction(parse =>
        {
            if (!HashListFormats.Default.TryGet(parse.GetValue(to)!, out _))
            {
                context.Error.WriteLine($"error: unknown output format '{parse.GetValue(to)}'; use one of {FormatNames()}");
                return ExitCodes.Usage;
            }

            var list = ListFiles.Load(parse.GetValue(input)!, parse.GetValue(allow) ? HashListKind.Allow : HashListKind.Known,
                parse.GetValue(from), context, parse.GetValue(skipInvalid));
            if (list is null)
            {
                return ExitCodes.Usage;
            }

            var renamed = parse.GetValue(name) is { } newName ? Rename(list, newName) : list;
            var toStdout = parse.GetValue(outFile) == "-";
            var target = InputPaths.Resolve(parse.GetValue(outFile)!, context.WorkingDirectory);
            try
            {
                if (toStdout)
                {
                    using var buffer = new MemoryStream();
                    HashListFormats.Default.Get(parse.GetValue(to)!).Write(renamed, buffer);
                    context.Out.Write(new System.Text.UTF8Encoding(false).GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                    context.Out.Flush();
                }
                else
                {
                    HashListFormats.Default.WriteFile(renamed, target, parse.GetValue(to)!);
                }
            }
            catch (NotSupportedException ex)
            {
                context.Error.WriteLine($"error: {parse.GetValue(outFile)}: {ex.Message}");
                return ExitCodes.SomeFilesFailed;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                context.Error.WriteLine($"error: {parse.GetValue(outFile)}: {ex.Message}");
                return ExitCodes.SomeFilesFailed;
            }

            context.Error.WriteLine($"wrote {renamed.Count} entries to {(toStdout ? "stdout" : parse.GetValue(outFile))} ({parse.GetValue(to)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Stats(CliContext context)
    {
        var input = new Argument<string>("LIST") { Description = "The list file." };
        var from = FromOption();
        var json = new Option<bool>("--json") { Description = "Print the statistics as one JSON object." };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Count the valid records of a damaged list and warn about the rest." };
        var command = new Command("stats", "Count a list's entries by signal type, category and state, and find duplicate values.")
        {
            input, from, json, skipInvalid,
        };
        command.SetAction(parse =>
        {
            var list = ListFiles.Load(parse.GetValue(input)!, HashListKind.Known, parse.GetValue(from), context, parse.GetValue(skipInvalid));
            if (list is null)
            {
                return ExitCodes.Usage;
            }

            var stats = HashListStats.Compute(list);
            if (parse.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    list = stats.ListName,
                    total = stats.Total,
                    enabled = stats.Enabled,
                    disabled = stats.Disabled,
                    by_signal_type = stats.BySignalType,
                    by_category = stats.ByCategory,
                    duplicate_values = stats.Duplicates.Count,
                    duplicate_entries = stats.DuplicateEntries,
                }));
                return ExitCodes.Success;
            }

            var o = context.Out;
            o.WriteLine($"list:       {stats.ListName}");
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"entries:    {stats.Total} ({stats.Enabled} enabled, {stats.Disabled} disabled)"));
            foreach (var (type, count) in stats.BySignalType.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {type,-10} {count}"));
            }

            if (stats.ByCategory.Count > 0)
            {
                o.WriteLine("categories:");
                foreach (var (category, count) in stats.ByCategory.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {category,-10} {count}"));
                }
            }

            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"duplicates: {stats.Duplicates.Count} values held by {stats.DuplicateEntries} entries"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Verify(CliContext context)
    {
        var input = new Argument<string>("LIST") { Description = "The list file." };
        var from = FromOption();
        var command = new Command("verify", "Check every record of a list file; exit 1 if any is invalid or duplicated.") { input, from };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(input)!;
            if (Directory.Exists(InputPaths.Resolve(path, context.WorkingDirectory)))
            {
                context.Error.WriteLine($"error: {path}: this is a folder, not a list file");
                return ExitCodes.Usage;
            }

            VerifyReport report;
            try
            {
                using var stream = File.OpenRead(InputPaths.Resolve(path, context.WorkingDirectory));
                report = HashListVerifier.Verify(stream, new ImportOptions { FileName = path }, parse.GetValue(from));
            }
            catch (HashListFormatException ex)
            {
                context.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.SomeFilesFailed;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                context.Error.WriteLine($"error: {path}: {(ex is FileNotFoundException or DirectoryNotFoundException ? "the list file does not exist" : ex.Message)}");
                return ExitCodes.Usage;
            }

            foreach (var error in report.Errors)
            {
                context.Out.WriteLine($"{path}: {error}");
            }

            foreach (var duplicate in report.Duplicates)
            {
                context.Out.WriteLine($"{path}: duplicate {duplicate.SignalType.Name} {duplicate.Value} in entries {string.Join(", ", duplicate.EntryIds)}");
            }

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{path}: {report.FormatName}, {report.RecordsRead} records, {report.EntriesRead} valid entries, {report.ErrorCount} invalid, {report.Duplicates.Count} duplicated values: {(report.IsClean ? "ok" : "NOT OK")}"));
            return report.IsClean ? ExitCodes.Success : ExitCodes.SomeFilesFailed;
        });
        return command;
    }

    private static HashList Rename(HashList list, string name)
    {
        var copy = new HashList(name, list.Kind);
        foreach (var type in SignalTypes.All)
        {
            if (list.HasExplicitThreshold(type))
            {
                copy.SetThreshold(type, list.GetThreshold(type));
            }
        }

        foreach (var entry in list.Entries)
        {
            copy.Add(entry);
        }

        return copy;
    }
}
