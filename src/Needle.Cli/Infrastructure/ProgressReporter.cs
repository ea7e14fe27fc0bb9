using Spectre.Console;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// A progress bar on stderr while long work runs, drawn only when stderr is a terminal; otherwise a no-op, so piped
/// and redirected runs get clean output. Per-file error lines go through it so they do not tear the bar.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly CliContext _context;
    private readonly bool _enabled;
    private readonly object _gate = new();
    private ProgressTask? _task;
    private IAnsiConsole? _console;

    public ProgressReporter(CliContext context, bool enabled)
    {
        _context = context;
        _enabled = enabled && context.ErrorIsTerminal;
    }

    /// <summary>Runs <paramref name="body"/> with a bar of <paramref name="total"/> steps.</summary>
    public void Run(string description, int total, Action body)
    {
        if (!_enabled)
        {
            body();
            return;
        }

        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_context.Error),
            Interactive = InteractionSupport.Yes,
        });
        _console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new SpinnerColumn(),
                new RemainingTimeColumn())
            .Start(progress =>
            {
                _task = progress.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
                body();
                _task.Value = _task.MaxValue;
            });
        _task = null;
        _console = null;
    }

    public void Advance()
    {
        _task?.Increment(1);
    }

    /// <summary>Writes a line to stderr without breaking the bar.</summary>
    public void WriteError(string line)
    {
        lock (_gate)
        {
            if (_console is not null)
            {
                _console.WriteLine(line);
            }
            else
            {
                _context.Error.WriteLine(line);
            }
        }
    }
}
