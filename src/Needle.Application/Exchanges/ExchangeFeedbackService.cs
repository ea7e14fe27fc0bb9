using System.Text.Json;
using Needle.Application.Lists;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Application.Exchanges;

/// <summary>
/// Queues an analyst's verdict on a match for the provider of the exchange that fed the matching entry: a false
/// positive or a file decided not pertinent is the negative feedback, a file confirmed as child abuse material the
/// affirmative one; the other categories say nothing about the listed material and send nothing. Each queued feedback
/// is audited; <see cref="ExchangeFeedbackSender"/> sends it. Entries fed by a <c>needle</c> exchange get no feedback
/// (the Needle feed has no feedback endpoint yet). Thread-safe.
/// </summary>
public sealed class ExchangeFeedbackService
{
    /// <summary>The origin of a feedback from a decision on the file.</summary>
    public const string DecisionOrigin = "decision";

    /// <summary>The origin of a feedback from a match marked as a false positive.</summary>
    public const string FalsePositiveOrigin = "false-positive";

    private readonly INeedleStore _store;
    private readonly HashListService _lists;
    private readonly TimeProvider _time;

    /// <summary>A feedback service over <paramref name="store"/>.</summary>
    /// <param name="store">Where exchanges, their items and the feedback queue are.</param>
    /// <param name="lists">The lists, for the matched entries' provider details.</param>
    /// <param name="time">The clock of the queue.</param>
    public ExchangeFeedbackService(INeedleStore store, HashListService lists, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _lists = lists;
        _time = time;
    }

    /// <summary>The verdict a decision category gives the entries its file matched; null when it gives none.</summary>
    public static FeedbackVerdict? VerdictOf(DecisionCategory category) => category switch
    {
        DecisionCategory.NonPertinent => FeedbackVerdict.Negative,
        DecisionCategory.ChildAbuseMaterial => FeedbackVerdict.Affirmative,
        _ => null,
    };

    /// <summary>
    /// Queues the feedback an analyst's decision gives every exchange-fed entry the file matched. An affirmative verdict
    /// leaves out the entries already marked as false positives on this file. Returns what was queued.
    /// </summary>
    public async Task<IReadOnlyList<StoredExchangeFeedback>> OnDecisionAsync(StoredFile file, DecisionCategory category, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (VerdictOf(category) is not { } verdict)
        {
            return [];
        }

        var exchanges = await FedListsAsync(cancellationToken).ConfigureAwait(false);
        var queued = new List<StoredExchangeFeedback>();
        if (exchanges.Count == 0)
        {
            return queued;
        }

        var seen = new HashSet<(string, int)>();
        foreach (var match in file.Matches)
        {
            if (match.AllowList || !exchanges.ContainsKey(match.ListName) || !seen.Add((match.ListName, match.EntryId)))
            {
                continue;
            }

            if (verdict == FeedbackVerdict.Affirmative)
            {
                var earlier = await _store.ExchangeFeedback.ForEntriesAsync([(match.ListName, match.EntryId)], cancellationToken).ConfigureAwait(false);
                if (earlier.Any(f => f.Feedback.FileId == file.Id && f.Feedback.Origin == FalsePositiveOrigin && f.State != FeedbackState.Cancelled))
                {
                    // The analyst said this entry does not match this file; confirming the file says nothing for it.
                    continue;
                }
            }

            queued.AddRange(await QueueAsync(exchanges[match.ListName], match, file.Id, verdict, DecisionOrigin, actor, remoteAddress, cancellationToken).ConfigureAwait(false));
        }

        return queued;
    }

    /// <summary>Queues the negative feedback for a match marked as a false positive, when its list is fed by an exchange.</summary>
    public async Task<IReadOnlyList<StoredExchangeFeedback>> OnFalsePositiveAsync(StoredFile file, string listName, int entryId, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var exchanges = await FedListsAsync(cancellationToken).ConfigureAwait(false);
        var match = file.Matches.FirstOrDefault(m => !m.AllowList && m.EntryId == entryId && string.Equals(m.ListName, listName, StringComparison.Ordinal));
        if (match is null || !exchanges.TryGetValue(listName, out var feeding))
        {
            return [];
        }

        return await QueueAsync(feeding, match, file.Id, FeedbackVerdict.Negative, FalsePositiveOrigin, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The exchanges that can take feedback, by the list they feed.</summary>
    private async Task<Dictionary<string, List<StoredExchange>>> FedListsAsync(CancellationToken ct)
    {
        var byList = new Dictionary<string, List<StoredExchange>>(StringComparer.Ordinal);
        foreach (var exchange in await _store.Exchanges.ListAsync(ct).ConfigureAwait(false))
        {
            if (exchange.Kind is ExchangeKinds.Ncmec or ExchangeKinds.StopNcii or ExchangeKinds.ThreatExchange)
            {
                if (!byList.TryGetValue(exchange.ListName, out var list))
                {
                    byList[exchange.ListName] = list = [];
                }

                list.Add(exchange);
            }
        }

        return byList;
    }

    private async Task<List<StoredExchangeFeedback>> QueueAsync(
        List<StoredExchange> exchanges, StoredMatch match, Guid fileId, FeedbackVerdict verdict, string origin, string actor, string? remoteAddress, CancellationToken ct)
    {
        var queued = new List<StoredExchangeFeedback>();
        foreach (var exchange in exchanges)
        {
            if (await _store.ExchangeFeedback.FindItemAsync(exchange.Id, match.EntryId, ct).ConfigureAwait(false) is not { } itemKey)
            {
                continue;
            }

            var metadata = _lists.FindList(match.ListName) is { } list && list.TryGet(match.EntryId, out var entry)
                ? entry.Metadata
                : new Dictionary<string, string>();
            if (ExchangeFeedbackRequests.Details(exchange.Kind, itemKey, match.SignalType, match.Value, match.Label, metadata) is not { } details)
            {
                // A signal the provider takes no feedback on (NCMEC has no SHA-256 feedback, StopNCII only PDQ and MD5).
                continue;
            }

            var feedback = new NewExchangeFeedback(
                exchange.Id, itemKey, verdict, match.ListName, match.EntryId, match.SignalType, match.Value, fileId, origin, actor, JsonSerializer.Serialize(details), _time.GetUtcNow());
            var (stored, added) = await _store.ExchangeFeedback.QueueAsync(
                    feedback,
                    row => new AuditEntryDraft(
                        actor,
                        "exchange.feedback.queue",
                        "exchange/" + exchange.Name,
                        JsonSerializer.Serialize(new QueueAuditDetails(row.Id, exchange.Kind, Name(verdict), itemKey, match.ListName, match.EntryId, fileId, origin), DocumentJson.Options),
                        remoteAddress),
                    ct)
                .ConfigureAwait(false);
            if (added)
            {
                queued.Add(stored);
            }
        }

        return queued;
    }

    /// <summary>The verdict as the API and the audit log spell it.</summary>
    public static string Name(FeedbackVerdict verdict) => verdict == FeedbackVerdict.Affirmative ? "affirmative" : "negative";

    /// <summary>The state as the API and the report page spell it.</summary>
    public static string Name(FeedbackState state) => state switch
    {
        FeedbackState.Queued => "queued",
        FeedbackState.Sending => "sending",
        FeedbackState.Sent => "sent",
        FeedbackState.Failed => "failed",
        _ => "cancelled",
    };

    private sealed record QueueAuditDetails(long Feedback, string Kind, string Verdict, string Item, string List, int EntryId, Guid File, string Origin);
}
