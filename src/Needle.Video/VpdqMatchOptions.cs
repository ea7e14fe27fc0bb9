namespace Needle.Video;

/// <summary>
/// How two videos are compared, after the vPDQ definition: frames below <see cref="MinQuality"/> are ignored, frames
/// with identical hashes count once, a frame matches when some frame of the other video is within
/// <see cref="MaxDistance"/> bits, and the two shares (query frames matched, known-video frames matched) are compared
/// with thresholds.
/// </summary>
public sealed record VpdqMatchOptions
{
    /// <summary>Largest PDQ distance (inclusive) at which two frames match: 31, the vPDQ README and python-threatexchange's value. (The C++ brute matcher tests <c>&lt; 31</c>.)</summary>
    public int MaxDistance { get; init; } = 31;

    /// <summary>Frames below this quality are not compared (vPDQ: 50).</summary>
    public int MinQuality { get; init; } = 50;

    /// <summary>Share (percent) of the known video's frames that must be matched: the vPDQ README's P_c, 80.</summary>
    public double MinKnownPercent { get; init; } = 80;

    /// <summary>Share (percent) of the query's frames that must be matched together with <see cref="MinKnownPercent"/>: the README's P_q, 0.</summary>
    public double MinQueryPercent { get; init; }

    /// <summary>
    /// Also a match when at least this share of the query's frames is matched, whatever the known share: the query is a
    /// clip of the known video. This is python-threatexchange's vPDQ signal-type rule (query 80%, compared 0%). Null
    /// turns the rule off so only the README rule applies.
    /// </summary>
    public double? ClipQueryPercent { get; init; } = 80;

    /// <summary>Search the query's dihedral frame hashes too (when it has them), so mirrored or rotated copies match.</summary>
    public bool Dihedral { get; init; } = true;

    /// <summary>Most candidate videos reported per query.</summary>
    public int MaxResults { get; init; } = 100;
}
