using Needle.Hashing;

namespace Needle.Video;

/// <summary>One known video that matched a query.</summary>
public sealed record VideoMatch(
    int VideoId,
    IndexedVideo Video,
    VideoMatchRule Rule,
    double QueryPercent,
    double KnownPercent,
    DihedralTransform Transform,
    IReadOnlyList<MatchedSegment> Segments);
