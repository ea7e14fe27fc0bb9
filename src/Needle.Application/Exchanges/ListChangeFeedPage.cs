namespace Needle.Application.Exchanges;

/// <summary>A page of <see cref="ListChangeFeed"/>.</summary>
/// <param name="Next">The cursor to ask for the next page with.</param>
/// <param name="More">Whether more changes were there already (ask again at once); false: caught up.</param>
/// <param name="Changes">The changes, in log order.</param>
public sealed record ListChangeFeedPage(string Next, bool More, IReadOnlyList<ListChangeFeedItem> Changes);
