namespace Needle.LoadTest.Serve;

/// <summary>What the <c>serve</c> harness runs.</summary>
internal sealed record ServeBenchmarkOptions
{
    public int Reports { get; init; } = 500;

    public int FilesPerReport { get; init; } = 2;

    public int Concurrency { get; init; } = 8;

    public int Workers { get; init; } = 2;

    /// <summary>Random PDQ entries imported into a list before the run (0: no list).</summary>
    public int ListEntries { get; init; } = 10_000;

    public int Seed { get; init; } = 1;

    /// <summary>Longest wait for the queue to drain.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);
}
