namespace Needle.Application.Review;

/// <summary>One false positive reported against a shared list, as exported for the list's provider.</summary>
/// <param name="SourceList">The provider's list the wrong match came from.</param>
/// <param name="SourceEntryId">The entry's id in that list.</param>
/// <param name="SignalType">The entry's signal type (<c>pdq</c>, <c>md5</c>...).</param>
/// <param name="Value">The entry's canonical hash value.</param>
/// <param name="SourceLabel">The entry's label in that list, if it had one.</param>
/// <param name="FileId">The file that matched wrongly.</param>
/// <param name="Note">The reviewer's note, if any.</param>
/// <param name="Reviewer">Who marked it (the actor).</param>
/// <param name="At">When it was marked, ISO 8601 round-trip form, UTC.</param>
/// <param name="AllowEntryId">The id of the allow-list entry that now overrides it.</param>
/// <param name="Enabled">Whether that allow-list entry is still enabled.</param>
public sealed record FalsePositiveFeedback(
    string SourceList,
    string SourceEntryId,
    string SignalType,
    string Value,
    string? SourceLabel,
    string? FileId,
    string? Note,
    string? Reviewer,
    string? At,
    int AllowEntryId,
    bool Enabled);
