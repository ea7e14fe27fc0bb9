namespace Needle.LoadTest.Links;

/// <summary>What one viral-media run measured.</summary>
internal sealed record LinksResult(
    int Reports,
    int Images,
    TimeSpan AcceptWall,
    int Triaged,
    TimeSpan TriageWall,
    double FirstTriagedPerSecond,
    double LastTriagedPerSecond,
    long LinkMembers,
    long LinkClusters,
    long LinkTableBytes,
    long KeyRows,
    long KeyTableBytes,
    long DatabaseBytes,
    int OpenJobs,
    double ProcessedPerSecond,
    double FirstTriageJobMs,
    double LastTriageJobMs)
{
    /// <summary>From the last report accepted to the last one triaged.</summary>
    public TimeSpan DrainWall => TriageWall - AcceptWall;

    public double ReportsAcceptedPerSecond => Reports / AcceptWall.TotalSeconds;

    /// <summary>Rows of robust_features (one per processed image, with features or referring to a copy's).</summary>
    public long RobustRows { get; init; }

    /// <summary>robust_features with its indexes, copied into an empty file.</summary>
    public long RobustTableBytes { get; init; }
}
