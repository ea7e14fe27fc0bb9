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
    int OpenJobs)
{
    public double ReportsAcceptedPerSecond => Reports / AcceptWall.TotalSeconds;
}
