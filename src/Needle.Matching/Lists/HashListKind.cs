namespace Needle.Matching.Lists;

/// <summary>Whether a list names known material or known false positives.</summary>
public enum HashListKind
{
    /// <summary>A match list: hits are reported as matches.</summary>
    Known,

    /// <summary>An allow list of known false positives: a file hitting it is reported as allowed, never as a match.</summary>
    Allow,
}
