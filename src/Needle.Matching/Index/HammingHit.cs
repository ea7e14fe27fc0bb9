namespace Needle.Matching.Index;

/// <summary>One index entry within the searched distance of a query.</summary>
/// <param name="EntryId">The id the entry was added with.</param>
/// <param name="Distance">Hamming distance between the query and the entry's hash (0..256).</param>
public readonly record struct HammingHit(int EntryId, int Distance);
