using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>The lists and their entries as of change-log sequence <see cref="Sequence"/>.</summary>
public sealed record ListSnapshot(long Sequence, IReadOnlyList<(StoredList List, IReadOnlyList<HashListEntry> Entries)> Lists);
