namespace Needle.Core.Reports;

/// <summary>A match of a file against a list entry.</summary>
/// <param name="ListName">The list holding the entry.</param>
/// <param name="EntryId">The entry's id within that list.</param>
/// <param name="Label">The entry's label (VICS MediaID, ICSE Image ID...), if any.</param>
/// <param name="Category">The entry's category as its source spells it, if any.</param>
/// <param name="SignalType">The signal that matched: <c>pdq</c>, <c>md5</c>, <c>sha1</c>, <c>sha256</c>, <c>photodna</c>, <c>vpdq</c>, <c>robust</c>.</param>
/// <param name="Value">The entry's canonical hash value (for vPDQ, see the remarks).</param>
/// <param name="Distance">0 for exact hashes; Hamming bits for PDQ; Euclidean distance for PhotoDNA; for vPDQ, see the remarks.</param>
/// <param name="Transform">The dihedral variant of the file that matched (<c>original</c>, <c>rot90</c>, ..., <c>flipminus1</c>).</param>
/// <param name="AllowList">The entry is on an allow list: it marks the file as a known false positive, not as a match.</param>
/// <remarks>For a vPDQ match, <see cref="Value"/> names the listed video (<c>vpdq:N frames</c>, the frames being in the list), <see cref="Distance"/> is the percentage points short of a full match (100 - the larger share), and <see cref="Video"/> holds the shares and time ranges.</remarks>
public sealed record StoredMatch(
    string ListName,
    int EntryId,
    string? Label,
    string? Category,
    string SignalType,
    string Value,
    double Distance,
    string Transform,
    bool AllowList)
{
    /// <summary>For a vPDQ match: the shares of frames and the matched time ranges.</summary>
    public VideoMatchDetails? Video { get; init; }

    /// <summary>For a <c>robust</c> match: the agreeing keypoints, the transform and the descriptor similarity.</summary>
    public Needle.Matching.Lists.RobustMatchDetails? Robust { get; init; }
}
