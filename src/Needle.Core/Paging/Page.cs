namespace Needle.Core.Paging;

/// <summary>A page of results and the cursor of the next page (null at the end).</summary>
/// <typeparam name="T">The row type.</typeparam>
/// <param name="Items">The rows of this page, in the listing's order.</param>
/// <param name="Next">Pass as the next query's <c>After</c> to get the following page; null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);
