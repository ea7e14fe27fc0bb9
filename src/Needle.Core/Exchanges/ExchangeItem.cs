using Needle.Matching.Lists;

namespace Needle.Core.Exchanges;

/// <summary>
/// One item as the provider now says it is: its entries replace whatever the exchange stored for <paramref name="Key"/>
/// before (the last record wins); no entries is a tombstone (the item is removed).
/// </summary>
/// <param name="Key">The provider's key of the item (StopNCII signal and hash, NCMEC member-id, a Needle entry id, a ThreatExchange descriptor).</param>
/// <param name="Entries">The item's entries now (at most one per signal type); empty when it is gone.</param>
public sealed record ExchangeItem(string Key, IReadOnlyList<HashListEntry> Entries);
