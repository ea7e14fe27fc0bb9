namespace Needle.Cli;

/// <summary>Process exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;

    /// <summary>The run finished but at least one file could not be processed (each is named on stderr).</summary>
    public const int SomeFilesFailed = 1;

    /// <summary>The command line or an input list was wrong; nothing was processed.</summary>
    public const int Usage = 2;
}
