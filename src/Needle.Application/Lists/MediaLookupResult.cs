using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>The hashes computed for looked-up media and what they matched.</summary>
/// <param name="Hashes">The hashes of the media, or why it could not be hashed.</param>
/// <param name="Match">What the hashes matched in the lists.</param>
public sealed record MediaLookupResult(MediaHashResult Hashes, MatchResult Match);
