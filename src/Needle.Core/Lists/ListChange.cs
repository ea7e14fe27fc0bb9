using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>
/// One row of the list change log with the current state of what it names: for <see cref="ListChangeKind.ListCreated"/>
/// the list's settings (null when it is gone again); for <see cref="ListChangeKind.EntriesChanged"/> the entries of the
/// id range that exist now (an id of the range missing here no longer exists).
/// </summary>
public sealed record ListChange(long Sequence, ListChangeKind Kind, string ListName, int FirstEntryId, int LastEntryId)
{
    public StoredList? List { get; init; }

    public IReadOnlyList<HashListEntry> Entries { get; init; } = [];
}
