using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>
/// One row of the list change log with the current state of what it names: for <see cref="ListChangeKind.ListCreated"/>
/// the list's settings (null when it is gone again); for <see cref="ListChangeKind.EntriesChanged"/> the entries of the
/// id range that exist now (an id of the range missing here no longer exists).
/// </summary>
/// <param name="Sequence">Position in the change log; later changes have higher sequences.</param>
/// <param name="Kind">What happened.</param>
/// <param name="ListName">The list changed.</param>
/// <param name="FirstEntryId">First entry id of the changed range; 0 for list creation and deletion.</param>
/// <param name="LastEntryId">Last entry id of the changed range (inclusive); 0 for list creation and deletion.</param>
public sealed record ListChange(long Sequence, ListChangeKind Kind, string ListName, int FirstEntryId, int LastEntryId)
{
    /// <summary>For <see cref="ListChangeKind.ListCreated"/>: the list's current settings; null when it has been deleted since.</summary>
    public StoredList? List { get; init; }

    /// <summary>For <see cref="ListChangeKind.EntriesChanged"/>: the entries of the id range that exist now, in their current state.</summary>
    public IReadOnlyList<HashListEntry> Entries { get; init; } = [];
}
