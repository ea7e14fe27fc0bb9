using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>An entry matched by one of the 8 dihedral variants of a query.</summary>
/// <param name="EntryId">The entry's id.</param>
/// <param name="Distance">The smallest distance over the 8 variants.</param>
/// <param name="Transform">The variant reaching that distance (the lowest-numbered one on ties).</param>
public readonly record struct DihedralHit(int EntryId, int Distance, DihedralTransform Transform);
