using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>The hashes computed for looked-up media and what they matched.</summary>
public sealed record MediaLookupResult(MediaHashResult Hashes, MatchResult Match);
