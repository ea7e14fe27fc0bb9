namespace Needle.Video;

/// <summary>A stretch of the query that corresponds to a stretch of the known video.</summary>
public sealed record MatchedSegment(TimeRange Query, TimeRange Known);
