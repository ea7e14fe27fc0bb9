using Needle.Core.Exchanges;

namespace Needle.Application.Exchanges;

/// <summary>One page of a provider's changes and where to go on from once it is applied.</summary>
/// <param name="Items">The page's items, in order.</param>
/// <param name="Checkpoint">The position after this page (persisted with it).</param>
/// <param name="More">Whether the provider has more now (false: the fetch is done).</param>
internal sealed record ExchangePage(IReadOnlyList<ExchangeItem> Items, string? Checkpoint, bool More);
