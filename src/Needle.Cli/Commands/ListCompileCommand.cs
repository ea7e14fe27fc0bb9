using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Needle.Cli.Infrastructure;
using Needle.Matching.Compiled;
using Needle.Matching.Lists;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle list compile LIST... -o FILE.ndl</c>: lists of any supported format compiled into one memory-mappable,
/// checksummed file that <c>needle scan --against FILE.ndl</c> opens at once, whatever its size.
/// </summary>
internal static class ListCompileCommand
{
    private static readonly string[] Compilable = ["pdq", "md5", "sha1", "sha256", "photodna"];

    public static Command Create(CliContext context)
    {
        var inputs = new Argument<string[]>("LIST") { Description = "Known lists to compile (any supported format); each keeps its name.", Arity = ArgumentArity.ZeroOrMore };
        var allow = new Option<string[]>("--allow") { Description = "An allow-list of known false positives to compile in too. Repeatable.", HelpName = "LIST" };
        var outFile = new Option<string>("--out", "-o") { Description = "The compiled list to write (.ndl).", Required = true, HelpName = "FILE.ndl" };
        var from = new Option<string?>("--from") { Description = "Force the input format instead of detecting it.", HelpName = "FORMAT" };
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Compile the valid records and list the bad ones on stderr, instead of refusing the whole file." };
        var command = new Command("compile", "Compile lists into one binary file (.ndl: columns, PDQ index, details on the side; memory-mapped and checksummed) that scan opens in under a second.")
        {
            inputs, allow, outFile, from, skipInvalid,
        };
        command.SetAction(parse =>
        {
            var known = parse.GetValue(inputs) ?? [];
            var allowed = parse.GetValue(allow) ?? [];
            if (known.Length + allowed.Length == 0)
            {
                context.Error.WriteLine("error: give at least one list to compile");
                return ExitCodes.Usage;
            }

            var stopwatch = Stopwatch.StartNew();
            var target = InputPaths.Resolve(parse.GetValue(outFile)!, context.WorkingDirectory);
            long entries;
            int listCount;
            try
            {
                // Streamed: each list is read straight into columns (details to a side file), never held as entries.
                using var builder = new CompiledListBuilder(Path.GetDirectoryName(Path.GetFullPath(target))!);
                foreach (var (file, kind) in known.Select(f => (f, HashListKind.Known)).Concat(allowed.Select(f => (f, HashListKind.Allow))))
                {
                    if (!ListFiles.TryCompile(builder, file, kind, parse.GetValue(from), context, parse.GetValue(skipInvalid), out var compiled))
                    {
                        return ExitCodes.Usage;
                    }

                    if (!compiled)
                    {
                        // Loaded the ordinary way: it reports a repeated id (or skips it with --skip-invalid), and
                        // names the entries of a type a compiled list cannot hold.
                        var list = ListFiles.Load(file, kind, parse.GetValue(from), context, parse.GetValue(skipInvalid));
                        if (list is null)
                        {
                            return ExitCodes.Usage;
                        }

                        if (!builder.TryAddList(list))
                        {
                            var type = SignalTypes.All.First(t => !Compilable.Contains(t.Name) && list.EntriesOf(t).Count > 0);
                            context.Error.WriteLine($"error: List '{list.Name}' holds {type.Name} entries; a compiled list holds pdq, md5, sha1, sha256 and photodna entries only.");
                            return ExitCodes.Usage;
                        }
                    }
                }

                entries = builder.EntryCount;
                listCount = builder.ListCount;
                builder.Write(target);
            }
            catch (ArgumentException ex)
            {
                context.Error.WriteLine($"error: {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                context.Error.WriteLine($"error: {parse.GetValue(outFile)}: {ex.Message}");
                return ExitCodes.Usage;
            }

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"compiled {listCount} list(s), {entries} entries, into {parse.GetValue(outFile)} ({new FileInfo(target).Length / 1048576.0:F1} MiB) in {stopwatch.Elapsed.TotalSeconds:F1} s"));
            return ExitCodes.Success;
        });
        return command;
    }
}
