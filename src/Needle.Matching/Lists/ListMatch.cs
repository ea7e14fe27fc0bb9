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
public sealed record ListMatch(
    string ListName,
    HashListKind ListKind,
    HashListEntry Entry,
    SignalType SignalType,
    string MatchedValue,
    double Distance,
    DihedralTransform Transform)
{
    /// <summary>For an animation, the number of the frame (not frame 0, the file's own image) that matched; null otherwise.</summary>
    public int? Frame { get; init; }
}
