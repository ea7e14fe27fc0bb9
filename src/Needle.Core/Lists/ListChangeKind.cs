namespace Needle.Core.Lists;

/// <summary>What a row of the list change log records.</summary>
public enum ListChangeKind
{
    /// <summary>A list was created (empty).</summary>
    ListCreated = 0,

    /// <summary>A list was deleted with its entries.</summary>
    ListDeleted = 1,

    /// <summary>Entries <see cref="ListChange.FirstEntryId"/> to <see cref="ListChange.LastEntryId"/> were added, enabled, disabled or removed.</summary>
    EntriesChanged = 2,
}
