namespace Needle.LoadTest.Flood;

/// <summary>What the <c>flood</c> harness runs.</summary>
internal sealed record FloodBenchmarkOptions
{
    /// <summary>Reports queued before the escalated one (each one small generated JPEG: one job ahead each).</summary>
    public int Backlog { get; init; } = 30_000;

    /// <summary>Clients posting the backlog at once.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Job workers of the server that then runs (the video lane takes one of them).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>How long the backlog's drain is watched after the escalated report is scored (processed/s); 0: not watched.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(60);

    public int Seed { get; init; } = 1;

    /// <summary>Longest wait for the escalated report to be scored.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
}
