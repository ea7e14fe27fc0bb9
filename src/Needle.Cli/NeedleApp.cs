using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;
using Needle.Cli.Commands;

namespace Needle.Cli;

/// <summary>Builds the <c>needle</c> command tree and runs it.</summary>
internal static class NeedleApp
{
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Needle: perceptual hashing, hash-list matching and report triage for child-protection hotlines and trust-and-safety teams.");
        // Each command lives in Commands/XxxCommand.cs as a static Create(CliContext).
        root.Subcommands.Add(HashCommand.Create(context));
        root.Subcommands.Add(ScanCommand.Create(context));
        root.Subcommands.Add(ListCommand.Create(context));
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(WorkerCommand.Create(context));
        root.Subcommands.Add(KeysCommand.Create(context));
        root.Subcommands.Add(AuditCommand.Create(context));
        root.Subcommands.Add(GeoCommand.Create(context));
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. Every usage mistake (an unknown option, a missing argument or command, a bad
    /// option value, and the checks a command makes itself) exits with <see cref="ExitCodes.Usage"/> and the
    /// command's usage on stderr.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        var version = root.Options.OfType<VersionOption>().FirstOrDefault();
        if (parse.Action is not HelpAction && (version is null || parse.GetResult(version) is null))
        {
            var errors = parse.Errors.Select(static e => e.Message).Concat(UnknownOptions(parse)).Distinct(StringComparer.Ordinal).ToList();
            if (errors.Count > 0)
            {
                foreach (var error in errors)
                {
                    context.Error.WriteLine("error: " + Lowercase(error));
                }

                WriteUsage(root, parse, context.Error);
                return ExitCodes.Usage;
            }
        }

        var configuration = new InvocationConfiguration { Output = context.Out, Error = context.Error };
        var exitCode = await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        if (exitCode == ExitCodes.Usage)
        {
            // The command found the mistake itself (and said what it was): show how it is used, as for parse errors.
            WriteUsage(root, parse, context.Error);
        }

        return exitCode;
    }

    /// <summary>
    /// Tokens taken as PATH-like arguments that look like options (<c>--bogus</c>, <c>-x</c>): an unknown option is a
    /// usage error, not a file name. A lone <c>-</c>, a negative number and anything after <c>--</c> are arguments.
    /// </summary>
    private static IEnumerable<string> UnknownOptions(ParseResult parse)
    {
        var doubleDash = -1;
        for (var i = 0; i < parse.Tokens.Count; i++)
        {
            if (parse.Tokens[i].Type == TokenType.DoubleDash)
            {
                doubleDash = i;
                break;
            }
        }

        for (var result = (SymbolResult?)parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command)
            {
                continue;
            }

            foreach (var argument in command.Children.OfType<ArgumentResult>())
            {
                foreach (var token in argument.Tokens)
                {
                    if (token.Value.Length > 1 && token.Value[0] == '-' &&
                        !double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) &&
                        (doubleDash < 0 || IndexOf(parse.Tokens, token) < doubleDash))
                    {
                        yield return $"unknown option '{token.Value}' (a file whose name starts with '-' goes after '--')";
                    }
                }
            }
        }
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Lowercase(string message) =>
        message.Length > 1 && char.IsUpper(message[0]) && !char.IsUpper(message[1])
            ? char.ToLowerInvariant(message[0]) + message[1..].TrimEnd('.')
            : message.TrimEnd('.');

    /// <summary>Writes the "Usage:" lines of the command that was parsed, and where to find the rest.</summary>
    private static void WriteUsage(RootCommand root, ParseResult parse, TextWriter error)
    {
        var path = new List<string>();
        for (var result = (SymbolResult?)parse.CommandResult; result is CommandResult command && command.Command is not RootCommand; result = result.Parent)
        {
            path.Insert(0, command.Command.Name);
        }

        var help = new StringWriter(CultureInfo.InvariantCulture);
        root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = help, Error = help });
        var lines = help.ToString().Split('\n').Select(static l => l.TrimEnd('\r')).ToList();
        var start = lines.FindIndex(static l => l.StartsWith("Usage:", StringComparison.Ordinal));
        error.WriteLine();
        if (start >= 0)
        {
            error.WriteLine("Usage:");
            for (var i = start + 1; i < lines.Count && lines[i].Length > 0; i++)
            {
                error.WriteLine(lines[i]);
            }
        }

        error.WriteLine();
        error.WriteLine($"Run '{string.Join(' ', ["needle", .. path])} --help' for more.");
    }
}
