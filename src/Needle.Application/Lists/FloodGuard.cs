using Needle.Core.Lists;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Application.Lists;

/// <summary>
/// Quarantines a list entry that suddenly matches far more files than its history: the protection against a bad hash
/// (a blank image, a common logo) arriving from an exchange. The store counts each entry's matched files per hour in
/// the transaction that records the matches, so any node completing a report sees every node's counts; after a report
/// is completed its matched entries are checked against <see cref="FloodGuardOptions"/>, and one over the rule is
/// quarantined through <see cref="HashListService"/> (disabled on every node via the list change log, audited once).
/// By default only lists an exchange feeds are watched (<see cref="FloodGuardOptions.Scope"/>); which those are is read
/// from the store at most once a minute.
/// </summary>
public sealed class FloodGuard
{
    /// <summary>The actor the guard's audit entries name.</summary>
    public const string Actor = "system:flood-guard";

    private static readonly TimeSpan FedListsRefresh = TimeSpan.FromMinutes(1);

    private readonly IListStore _store;
    private readonly IExchangeStore? _exchanges;
    private readonly HashListService _lists;
    private readonly TimeProvider _time;
    private readonly FloodGuardOptions _options;
    private volatile FedLists? _fed;

    /// <summary>A guard over <paramref name="store"/>'s counts, quarantining through <paramref name="lists"/>.</summary>
    /// <param name="store">The match counts and quarantines.</param>
    /// <param name="lists">This node's lists, quarantining through their change log.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">The rule and the lists it watches.</param>
    /// <param name="exchanges">Which lists exchanges feed (null: none is, so the default scope watches no list).</param>
    public FloodGuard(IListStore store, HashListService lists, TimeProvider time, FloodGuardOptions options, IExchangeStore? exchanges = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _store = store;
        _lists = lists;
        _time = time;
        _options = options;
        _exchanges = exchanges;
    }

    /// <summary>The rule in force.</summary>
    public FloodGuardOptions Options => _options;

    /// <summary>
    /// Checks every entry <paramref name="results"/> matched (after they are stored) and quarantines those over the
    /// rule; returns the quarantines made here (another node may have made one first: then it is not among them).
    /// </summary>
    public async Task<IReadOnlyList<EntryQuarantine>> CheckAsync(IReadOnlyList<FileResult> results, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (!_options.Enabled)
        {
            return [];
        }

        List<(string, int)>? matched = null;
        foreach (var result in results)
        {
            foreach (var match in result.Matches)
            {
                matched ??= [];
                if (!matched.Contains((match.ListName, match.EntryId)))
                {
                    matched.Add((match.ListName, match.EntryId));
                }
            }
        }

        if (matched is null)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        if (_options.Scope == FloodGuardScope.ExchangeLists)
        {
            var fed = await FedListsAsync(now, ct).ConfigureAwait(false);
            matched.RemoveAll(m => !fed.Contains(m.Item1));
            if (matched.Count == 0)
            {
                return [];
            }
        }

        var rates = await _store.GetMatchRatesAsync(matched, now - _options.Window, now - _options.History, ct).ConfigureAwait(false);
        List<EntryQuarantine>? quarantined = null;
        foreach (var rate in rates)
        {
            if (Baseline(rate) is not { } baseline)
            {
                continue;
            }

            var quarantine = new EntryQuarantine(rate.ListName, rate.EntryId, rate.InWindow, baseline, _options.Window, now);
            if (await _lists.QuarantineAsync(quarantine, ct).ConfigureAwait(false))
            {
                (quarantined ??= []).Add(quarantine);
            }
        }

        return quarantined ?? (IReadOnlyList<EntryQuarantine>)[];
    }

    private async Task<IReadOnlySet<string>> FedListsAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (_fed is { } cached && now - cached.At < FedListsRefresh)
        {
            return cached.Names;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        if (_exchanges is not null)
        {
            foreach (var exchange in await _exchanges.ListAsync(ct).ConfigureAwait(false))
            {
                names.Add(exchange.ListName);
            }
        }

        _fed = new FedLists(names, now);
        return names;
    }

    /// <summary>The baseline (files per window) an entry's rate is over by the rule, or null when it is within it or quarantined already.</summary>
    internal double? Baseline(EntryMatchRate rate)
    {
        if (rate.Quarantined || rate.InWindow < _options.MinMatches)
        {
            return null;
        }

        // The history before the window, as files per window; a released entry's accepted rate is its floor.
        var windowsInHistory = (_options.History - _options.Window) / _options.Window;
        var baseline = Math.Max(rate.InHistory / windowsInHistory, rate.ReleasedRate ?? 0);
        return rate.InWindow > _options.Ratio * baseline ? baseline : null;
    }

    private sealed record FedLists(IReadOnlySet<string> Names, DateTimeOffset At);
}
