using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>A looked-up video: its hash (null when it could not be hashed, with the reason), its exact-hash matches and its vPDQ matches.</summary>
public sealed record VideoLookupResult(VideoHash? Video, string? Error, FileDigests? Digests, MatchResult Exact, IReadOnlyList<VideoListMatch> VideoMatches);
