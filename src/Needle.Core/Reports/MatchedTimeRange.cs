namespace Needle.Core.Reports;

/// <summary>A stretch of the file (seconds) that corresponds to a stretch of the listed video.</summary>
public sealed record MatchedTimeRange(double QueryStart, double QueryEnd, double KnownStart, double KnownEnd);
