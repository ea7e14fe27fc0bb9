namespace Needle.Core.Reports;

/// <summary>A stretch of the file (seconds) that corresponds to a stretch of the listed video.</summary>
/// <param name="QueryStart">Start in the file, in seconds.</param>
/// <param name="QueryEnd">End in the file, in seconds.</param>
/// <param name="KnownStart">Start in the listed video, in seconds.</param>
/// <param name="KnownEnd">End in the listed video, in seconds.</param>
public sealed record MatchedTimeRange(double QueryStart, double QueryEnd, double KnownStart, double KnownEnd);
