using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>A looked-up video: its hash (null when it could not be hashed, with the reason), its exact-hash matches and its vPDQ matches.</summary>
/// <param name="Video">The video's vPDQ hash and properties; null when it could not be hashed.</param>
/// <param name="Error">Why the video could not be hashed; null otherwise.</param>
/// <param name="Digests">MD5, SHA-1 and SHA-256 of the bytes; null when they were not computed.</param>
/// <param name="Exact">What those digests matched in the lists.</param>
/// <param name="VideoMatches">The vPDQ list entries the video matched.</param>
public sealed record VideoLookupResult(VideoHash? Video, string? Error, FileDigests? Digests, MatchResult Exact, IReadOnlyList<VideoListMatch> VideoMatches);
