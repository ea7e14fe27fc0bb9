namespace Needle.Core.Exchanges;

/// <summary>A feedback to queue for an exchange's provider about one of its items.</summary>
/// <param name="ExchangeId">The exchange whose provider hears it.</param>
/// <param name="ItemKey">The provider's item (as in <see cref="ExchangeItem.Key"/>).</param>
/// <param name="Verdict">Negative or affirmative.</param>
/// <param name="ListName">The list the match was in.</param>
/// <param name="EntryId">The list entry that matched.</param>
/// <param name="SignalType">The entry's signal type (<c>pdq</c>, <c>md5</c>...).</param>
/// <param name="Value">The entry's hash value.</param>
/// <param name="FileId">The file reviewed.</param>
/// <param name="Origin">What the analyst did: <c>decision</c> or <c>false-positive</c>.</param>
/// <param name="Actor">The analyst.</param>
/// <param name="Details">What the provider needs to find its item (member and id, descriptor ids...), as a JSON object; nothing secret.</param>
/// <param name="At">When it was queued.</param>
public sealed record NewExchangeFeedback(
    Guid ExchangeId, string ItemKey, FeedbackVerdict Verdict, string ListName, int EntryId, string SignalType, string Value, Guid FileId, string Origin, string Actor, string Details, DateTimeOffset At);
