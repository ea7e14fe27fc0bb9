using Needle.Hashing;

namespace Needle.Matching.Lists;

/// <summary>One entry that matched a file.</summary>
/// <param name="ListName">Name of the list holding the entry.</param>
/// <param name="ListKind">Kind of that list.</param>
/// <param name="Entry">The entry (label, category, source, metadata) as it was at match time.</param>
/// <param name="SignalType">The signal that matched.</param>
/// <param name="MatchedValue">The entry's canonical hash value.</param>
/// <param name="Distance">0 for exact types; Hamming bits for PDQ; Euclidean distance for PhotoDNA.</param>
/// <param name="Transform">The dihedral variant of the file that matched; Original otherwise.</param>
/// <remarks>
/// <see cref="Variant"/> names an edit undone on the query before it matched (<c>unletterbox</c>, <c>rotate5</c>,
/// <c>robust</c>); <see cref="TransformName"/> combines both for reports.
/// </remarks>
public sealed record ListMatch(
    string ListName,
    HashListKind ListKind,
    HashListEntry Entry,
    SignalType SignalType,
    string MatchedValue,
    double Distance,
    DihedralTransform Transform)
{
    /// <summary>
    /// The edit undone on the file before this match, when query expansion found it: <c>unletterbox</c> (a frame was
    /// removed), <c>rotateN</c> (the file was turned N degrees anticlockwise, negative for clockwise, and turned
    /// back); null when the file matched as it was.
    /// </summary>
    public string? Variant { get; init; }

    /// <summary>For a <c>robust</c> match: the inliers, the estimated transform and the descriptor similarity.</summary>
    public RobustMatchDetails? Robust { get; init; }

    /// <summary>
    /// How the file relates to the listed item: the variant and the dihedral transform, e.g. <c>unletterbox+flipy</c>,
    /// <c>rotate-5</c>, <c>original</c>; for a robust match the estimated transform, e.g.
    /// <c>robust(mirror,rotate=4.9,scale=1.1,crop=0.05;0.05;0.9;0.9)</c>.
    /// </summary>
    public string TransformName => Variant switch
    {
        _ when Robust is { } robust => "robust(" + robust.Describe() + ")",
        null => Transform.ToName(),
        var variant when Transform == DihedralTransform.Original => variant,
        var variant => variant + "+" + Transform.ToName(),
    };
    /// <summary>For an animation, the number of the frame (not frame 0, the file's own image) that matched; null otherwise.</summary>
    public int? Frame { get; init; }
}
