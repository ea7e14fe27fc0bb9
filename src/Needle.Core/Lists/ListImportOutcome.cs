namespace Needle.Core.Lists;

/// <summary>What a committed list import wrote.</summary>
/// <param name="ListCreated">Whether the import created the list (in its own transaction).</param>
/// <param name="FirstEntryId">The id of the first entry imported; the others follow without gaps. 0 when none was.</param>
/// <param name="Count">Entries imported.</param>
public sealed record ListImportOutcome(bool ListCreated, int FirstEntryId, int Count)
{
    /// <summary>The id of the last entry imported; 0 when none was.</summary>
    public int LastEntryId => Count == 0 ? 0 : FirstEntryId + Count - 1;

    /// <summary>The sequence of the first change-log row the import appended (its rows follow without gaps); 0 when none.</summary>
    public long FirstChangeSequence { get; init; }

    /// <summary>The sequence of the last change-log row the import appended; 0 when none.</summary>
    public long LastChangeSequence { get; init; }
}
