namespace Needle.LoadTest.Match;

/// <summary>Per-query averages of the multi-index over one kind of query (near copies or random).</summary>
internal sealed record QueryKindBreakdown(
    string Kind, int Queries, double CpuMicros, double WallMicros, double Probes, double NonEmptyBuckets, double Candidates, double HashesRead, double Hits, long Scans);
