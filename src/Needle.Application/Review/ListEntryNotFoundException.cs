namespace Needle.Application.Review;

/// <summary>A request about a list entry that does not exist, or a match the file does not have.</summary>
/// <param name="message">Which entry or match is missing.</param>
public sealed class ListEntryNotFoundException(string message) : KeyNotFoundException(message);
