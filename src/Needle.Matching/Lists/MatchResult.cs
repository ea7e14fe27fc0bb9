namespace Needle.Matching.Lists;

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

    /// <summary>
    /// The result of matches found outside <see cref="ListMatcher"/> (the robust tier): allow-list matches make the file
    /// Allowed (the known ones kept as suppressed), known ones make it a Match; each group keeps the given order.
    /// </summary>
    public static MatchResult FromMatches(IReadOnlyList<ListMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        var known = new List<ListMatch>();
        var allowed = new List<ListMatch>();
        foreach (var match in matches)
        {
            (match.ListKind == HashListKind.Allow ? allowed : known).Add(match);
        }

        return allowed.Count > 0 ? new MatchResult(MatchStatus.Allowed, None, allowed, known)
            : known.Count > 0 ? new MatchResult(MatchStatus.Match, known, None, None)
            : NoMatch;
    }

    /// <summary>
    /// <paramref name="first"/> with <paramref name="more"/> matches of the same file added (an animation's frames,
    /// say): any allow-list match makes it allowed (the known matches then suppressed), as for one match.
    /// </summary>
    public static MatchResult Merge(MatchResult first, IReadOnlyList<ListMatch> more)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(more);
        return more.Count == 0 ? first : FromMatches([.. first.Matches, .. first.SuppressedMatches, .. first.AllowedBy, .. more]);
    }

    /// <summary>Whether the file matched, was allowed, or neither.</summary>
    public MatchStatus Status { get; }

    /// <summary>Known-list matches, sorted by distance, then list name, then label. Empty unless Status is Match.</summary>
    public IReadOnlyList<ListMatch> Matches { get; }

    /// <summary>The allow-list entries that made the file Allowed, sorted the same way.</summary>
    public IReadOnlyList<ListMatch> AllowedBy { get; }

    /// <summary>When Allowed: the known-list hits the allow list overrode, kept for audit; never counted as matches.</summary>
    public IReadOnlyList<ListMatch> SuppressedMatches { get; }
}
