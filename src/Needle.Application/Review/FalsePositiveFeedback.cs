namespace Needle.Application.Review;

/// <summary>One false positive reported against a shared list, as exported for the list's provider.</summary>
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
