using System.CommandLine;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// <c>--label-from name|relative|absolute</c>: what <c>needle hash</c> writes in its path column, which becomes the
/// label of each entry of a list made from its output. The default, relative, names a file by its path under the
/// folder given on the command line (a file given itself by its name), so lists never carry local folder names.
/// </summary>
internal sealed class LabelOptionSet
{
    private readonly Option<string> _labelFrom = new("--label-from")
    {
        Description = "The path written for each file (a list's label): relative to the folder given on the command line (a file given itself: its name), its name alone, or its absolute path.",
        DefaultValueFactory = _ => "relative",
        HelpName = "MODE",
    };

    public LabelOptionSet()
    {
        _labelFrom.AcceptOnlyFromAmong("relative", "name", "absolute");
    }

    public void AddTo(Command command) => command.Options.Add(_labelFrom);

    /// <summary>The label of each input, in order.</summary>
    /// <param name="parse">The command line.</param>
    /// <param name="inputs">The inputs as <see cref="InputPaths.Expand"/> spelt them.</param>
    /// <param name="folders">For each input, the folder argument it was found in (null for a file given itself).</param>
    /// <param name="workingDirectory">What relative paths are relative to.</param>
    public List<string> Labels(ParseResult parse, IReadOnlyList<string> inputs, IReadOnlyList<string?> folders, string workingDirectory)
    {
        var mode = parse.GetValue(_labelFrom);
        var labels = new List<string>(inputs.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            labels.Add(Label(mode, inputs[i], i < folders.Count ? folders[i] : null, workingDirectory));
        }

        return labels;
    }

    internal static string Label(string? mode, string input, string? folder, string workingDirectory)
    {
        var full = Path.GetFullPath(InputPaths.Resolve(input, workingDirectory));
        return mode switch
        {
            "absolute" => full,
            "name" => Path.GetFileName(full),
            _ when folder is not null => Path.GetRelativePath(Path.GetFullPath(InputPaths.Resolve(folder, workingDirectory)), full)
                .Replace(Path.DirectorySeparatorChar, '/'),
            _ => Path.GetFileName(full),
        };
    }
}
