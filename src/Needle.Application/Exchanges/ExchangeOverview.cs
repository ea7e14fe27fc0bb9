using Needle.Core.Exchanges;

namespace Needle.Application.Exchanges;

/// <summary>An exchange with its fetch state, as the admin's lists page shows it.</summary>
/// <param name="Exchange">The exchange (no credential values).</param>
/// <param name="Status">Where its fetching stands.</param>
/// <param name="StaleCheckpoint">Why its checkpoint is too old to resume from (the next fetch starts over), or null.</param>
public sealed record ExchangeOverview(ExchangeView Exchange, ExchangeStatus Status, string? StaleCheckpoint);
