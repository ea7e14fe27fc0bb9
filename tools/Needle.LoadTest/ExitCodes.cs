namespace Needle.LoadTest;

/// <summary>Process exit codes, the ones <c>needle</c> uses.</summary>
internal static class ExitCodes
{
    /// <summary>The run finished and its figures were printed.</summary>
    public const int Success = 0;

    /// <summary>The run failed (a check disagreed, a server or a worker failed, a time-out passed); the reason is on stderr.</summary>
    public const int RunFailed = 1;

    /// <summary>The command line was wrong; nothing was run.</summary>
    public const int Usage = 2;
}
