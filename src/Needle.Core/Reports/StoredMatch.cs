namespace Needle.Core.Reports;

/// <summary>A match of a file against a list entry.</summary>
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
}
