namespace Needle.LoadTest.Flood;

/// <summary>What one flood run measured.</summary>
internal sealed record FloodResult(
    int Backlog,
    TimeSpan AcceptWall,
    IReadOnlyList<double> AckMs,
    int JobsAhead,
    TimeSpan EscalatedAccepted,
    TimeSpan EscalatedProcessed,
    TimeSpan EscalatedScored,
    int ReportsProcessedAhead,
    TimeSpan DrainWatched,
    int ReportsDrained,
    int JobsAfterDrain)
{
    public double ReportsAcceptedPerSecond => Backlog / AcceptWall.TotalSeconds;

    public double ReportsProcessedPerSecond => DrainWatched > TimeSpan.Zero ? ReportsDrained / DrainWatched.TotalSeconds : 0;

    /// <summary>The whole backlog's drain at the watched rate (processing only; triage and scores follow in the same lane).</summary>
    public TimeSpan EstimatedDrain => ReportsDrained > 0 ? TimeSpan.FromSeconds(Backlog / ReportsProcessedPerSecond) : TimeSpan.Zero;
}
