namespace Needle.Core.Exchanges;

/// <summary>A page of a provider's changes, applied with its checkpoint in one transaction.</summary>
/// <param name="Items">The items, in the provider's order (a later one for the same key wins).</param>
/// <param name="Checkpoint">The position to resume from once this batch is applied.</param>
public sealed record ExchangeBatch(IReadOnlyList<ExchangeItem> Items, string? Checkpoint);
