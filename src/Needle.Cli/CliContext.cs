namespace Needle.Cli;

/// <summary>
/// What a command needs from the outside world, injected so tests can run commands in-process with captured output.
/// </summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Standard input, for <c>--files-from -</c>.</summary>
    public required TextReader In { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether stderr is an interactive terminal; progress bars are drawn only then.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>Working directory that relative paths are resolved against.</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Called with every robust tier model a command makes (tests watch whether its sessions were created).</summary>
    public Action<Needle.Robust.ImageDescriptorModel>? RobustModelMade { get; init; }

    public static CliContext FromConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };
}
