namespace Needle.LoadTest;

/// <summary>Where a harness writes: its table to <see cref="Out"/>, progress and errors to <see cref="Error"/>; injected so tests run harnesses in-process with captured output.</summary>
internal sealed class LoadTestContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public static LoadTestContext FromConsole() => new() { Out = Console.Out, Error = Console.Error };
}
