using Needle.Hashing;

namespace Needle.Matching.Lists;

public enum MatchStatus
{
    /// <summary>No enabled entry of any list matched.</summary>
    NoMatch,

    /// <summary>At least one known-list entry matched and no allow-list entry did.</summary>
    Match,

    /// <summary>An allow-list entry matched: the file is a known false positive and is not counted as a match.</summary>
    Allowed,
}

/// <summary>One entry that matched a file.</summary>
/// <param name="ListName">Name of the list holding the entry.</param>
/// <param name="ListKind">Kind of that list.</param>
/// <param name="Entry">The entry (label, category, source, metadata) as it was at match time.</param>
/// <param name="SignalType">The signal that matched.</param>
/// <param name="MatchedValue">The entry's canonical hash value.</param>
/// <param name="Distance">0 for exact types; Hamming bits for PDQ; Euclidean distance for PhotoDNA.</param>
/// <param name="Transform">The dihedral variant of the file that matched; Original otherwise.</param>
public sealed record ListMatch(
    string ListName,
    HashListKind ListKind,
    HashListEntry Entry,
    SignalType SignalType,
    string MatchedValue,
    double Distance,
    DihedralTransform Transform);

/// <summary>The outcome of matching one file.</summary>
public sealed class MatchResult
{
    private static readonly ListMatch[] None = [];

    internal MatchResult(MatchStatus status, IReadOnlyList<ListMatch> matches, IReadOnlyList<ListMatch> allowedBy, IReadOnlyList<ListMatch> suppressed)
    {
        Status = status;
        Matches = matches;
        AllowedBy = allowedBy;
        SuppressedMatches = suppressed;
    }

    internal static MatchResult NoMatch { get; } = new(MatchStatus.NoMatch, None, None, None);

    public MatchStatus Status { get; }

    /// <summary>Known-list matches, sorted by distance, then list name, then label. Empty unless Status is Match.</summary>
    public IReadOnlyList<ListMatch> Matches { get; }

    /// <summary>The allow-list entries that made the file Allowed, sorted the same way.</summary>
    public IReadOnlyList<ListMatch> AllowedBy { get; }

    /// <summary>When Allowed: the known-list hits the allow list overrode, kept for audit; never counted as matches.</summary>
    public IReadOnlyList<ListMatch> SuppressedMatches { get; }
}
