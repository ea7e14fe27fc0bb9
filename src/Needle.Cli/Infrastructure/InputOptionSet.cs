using System.CommandLine;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// The inputs shared by every command that walks files: PATH arguments, <c>--files-from</c>, <c>--all-files</c>,
/// <c>--threads</c> and <c>--no-progress</c>, with the same validation and error messages everywhere.
/// </summary>
internal sealed class InputOptionSet
{
    private readonly Argument<string[]> _paths;

    private readonly Option<string?> _filesFrom = new("--files-from")
    {
        Description = "Read paths from FILE, one per line ('-' for stdin).",
        HelpName = "FILE",
    };

    private readonly Option<int> _threads = new("--threads", "-j")
    {
        Description = "Worker threads (default: all cores). Output order does not depend on it.",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    private readonly Option<bool> _allFiles = new("--all-files")
    {
        Description = "When walking folders, take every file, not only those with an image or video extension.",
    };

    private readonly Option<bool> _noProgress = new("--no-progress") { Description = "Never draw the progress bar." };

    public InputOptionSet(string pathsDescription)
    {
        _paths = new Argument<string[]>("PATH") { Description = pathsDescription, Arity = ArgumentArity.ZeroOrMore };
    }

    public void AddTo(Command command)
    {
        command.Arguments.Add(_paths);
        command.Options.Add(_filesFrom);
        command.Options.Add(_threads);
        command.Options.Add(_allFiles);
        command.Options.Add(_noProgress);
    }

    public int Threads(ParseResult parse) => parse.GetValue(_threads);

    public bool ShowProgress(ParseResult parse) => !parse.GetValue(_noProgress);

    /// <summary>
    /// The input files in output order, or null after writing the error (threads below 1, an unreadable
    /// <c>--files-from</c>, or no input at all).
    /// </summary>
    public List<string>? Expand(ParseResult parse, CliContext context, List<string?>? folders = null)
    {
        if (parse.GetValue(_threads) < 1)
        {
            context.Error.WriteLine("error: --threads must be at least 1");
            return null;
        }

        List<string> inputs;
        try
        {
            inputs = InputPaths.Expand(parse.GetValue(_paths) ?? [], parse.GetValue(_filesFrom), context.In,
                parse.GetValue(_allFiles), context.WorkingDirectory, folders);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"error: {parse.GetValue(_filesFrom)}: {ex.Message}");
            return null;
        }

        if (inputs.Count == 0)
        {
            context.Error.WriteLine("error: no input files (give PATH arguments or --files-from)");
            return null;
        }

        return inputs;
    }
}
