namespace Needle.Matching.Lists;

/// <summary>The verdict of matching one file against the lists.</summary>
public enum MatchStatus
{
    /// <summary>No enabled entry of any list matched.</summary>
    NoMatch,

    /// <summary>At least one known-list entry matched and no allow-list entry did.</summary>
    Match,

    /// <summary>An allow-list entry matched: the file is a known false positive and is not counted as a match.</summary>
    Allowed,
}
