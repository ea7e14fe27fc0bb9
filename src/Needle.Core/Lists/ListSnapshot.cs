using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>The lists and their entries as of change-log sequence <see cref="Sequence"/>.</summary>
/// <param name="Sequence">The change-log sequence the snapshot is as of; 0 for a store without a change log.</param>
/// <param name="Lists">Every list with all its entries (enabled or not).</param>
public sealed record ListSnapshot(long Sequence, IReadOnlyList<(StoredList List, IReadOnlyList<HashListEntry> Entries)> Lists);
