using Needle.Matching.Lists;

namespace Needle.Application.Exchanges;

/// <summary>One entry of <see cref="ListChangeFeed"/>: as it is now, or gone.</summary>
/// <param name="Id">The entry's id in its list.</param>
/// <param name="Entry">The entry now; null when it has been removed.</param>
public sealed record ListChangeFeedItem(int Id, HashListEntry? Entry);
