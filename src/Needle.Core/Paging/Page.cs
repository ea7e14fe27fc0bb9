namespace Needle.Core.Paging;

/// <summary>A page of results and the cursor of the next page (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
