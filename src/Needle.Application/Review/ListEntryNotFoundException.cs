namespace Needle.Application.Review;

/// <summary>A request about a list entry that does not exist, or a match the file does not have.</summary>
public sealed class ListEntryNotFoundException(string message) : KeyNotFoundException(message);
