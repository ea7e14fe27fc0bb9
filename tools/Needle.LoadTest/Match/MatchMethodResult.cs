namespace Needle.LoadTest.Match;

/// <summary>Figures for one search method.</summary>
internal sealed record MatchMethodResult(
    string Method, TimeSpan BuildTime, double BytesPerEntry, int Queries, double QueriesPerSecond, TimeSpan P50, TimeSpan P99, long Hits);
