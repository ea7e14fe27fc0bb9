using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// Matches files against several lists at once. One search structure per signal type holds the entries of every
/// list; hits are then filtered by each entry's list threshold. List changes are applied as they happen.
/// Thread-safe: any number of concurrent <see cref="Match"/> calls, serialized against list changes.
/// </summary>
public sealed class ListMatcher : IDisposable, IHashListObserver
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly HashList[] _lists;
    private readonly ListMatcherOptions _options;
    private readonly SignalMatcherContext _context;
    private readonly Dictionary<SignalType, SignalMatcher> _matchersByType = [];
    private readonly Dictionary<(HashList List, int EntryId), int> _slotByEntry = [];
    private readonly List<Slot?> _slots = [];

    // Snapshot of _matchersByType for the query path; replaced when a new signal type appears.
    private KeyValuePair<SignalType, SignalMatcher>[] _matchers = [];
    private bool _disposed;

    /// <summary>Builds one search structure per signal type over every entry of <paramref name="lists"/> and follows their changes.</summary>
    /// <param name="lists">The lists to match against; they stay live.</param>
    /// <param name="pdqIndexFactory">Makes the PDQ index (one for all lists).</param>
    /// <param name="options">Threshold overrides and quality filter.</param>
    public ListMatcher(IEnumerable<HashList> lists, Func<IPdqIndex> pdqIndexFactory, ListMatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(pdqIndexFactory);
        _lists = [.. lists];
        _options = options ?? new ListMatcherOptions();
        if (_options.PdqThresholdOverride is { } pdq)
        {
            SignalTypes.Pdq.ValidateThreshold(pdq);
        }

        if (_options.PhotoDnaThresholdOverride is { } photoDna)
        {
            SignalTypes.PhotoDna.ValidateThreshold(photoDna);
        }

        _context = new SignalMatcherContext(pdqIndexFactory);
        foreach (var list in _lists)
        {
            list.Subscribe(this);
        }
    }

    /// <summary>The lists matched against, as given.</summary>
    public IReadOnlyList<HashList> Lists => _lists;

    /// <summary>
    /// Matches one file's signals against every enabled entry of every list, within each list's threshold (or the
    /// override). Under <see cref="ListMatcherOptions.MinimumPdqQuality"/> the Hamming signals (PDQ) are skipped; exact
    /// hashes still match.
    /// </summary>
    public MatchResult Match(FileSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);
        if (signals.PdqDihedral is { Count: not DihedralTransformNames.Count })
        {
            throw new ArgumentException($"PdqDihedral holds {DihedralTransformNames.Count} hashes in DihedralTransform order.", nameof(signals));
        }

        var pdqUsable = signals.PdqQuality is not { } quality || quality >= _options.MinimumPdqQuality;
        List<ListMatch>? known = null;
        List<ListMatch>? allowed = null;
        var hits = new List<SignalHit>();
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (type, matcher) in _matchers)
            {
                if (!pdqUsable && type.Comparison == SignalComparison.Hamming)
                {
                    continue;
                }

                var overrideThreshold = OverrideFor(type);
                var maxDistance = overrideThreshold ?? MaxListThreshold(type);
                hits.Clear();
                matcher.Match(signals, maxDistance, hits);
                foreach (var hit in hits)
                {
                    if (_slots[hit.Slot] is not { Entry.Enabled: true } slot ||
                        hit.Distance > (overrideThreshold ?? slot.List.GetThreshold(type)))
                    {
                        continue;
                    }

                    var match = new ListMatch(slot.List.Name, slot.List.Kind, slot.Entry, type, slot.Entry.Value, hit.Distance, hit.Transform);
                    if (slot.List.Kind == HashListKind.Allow)
                    {
                        (allowed ??= []).Add(match);
                    }
                    else
                    {
                        (known ??= []).Add(match);
                    }
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        if (allowed is not null)
        {
            allowed.Sort(CompareMatches);
            known?.Sort(CompareMatches);
            return new MatchResult(MatchStatus.Allowed, [], allowed, (IReadOnlyList<ListMatch>?)known ?? []);
        }

        if (known is null)
        {
            return MatchResult.NoMatch;
        }

        known.Sort(CompareMatches);
        return new MatchResult(MatchStatus.Match, known, [], []);
    }

    /// <summary>Stops following the lists' changes; <see cref="Match"/> throws afterwards.</summary>
    public void Dispose()
    {
        foreach (var list in _lists)
        {
            list.Unsubscribe(this);
        }

        _lock.EnterWriteLock();
        _disposed = true;
        _lock.ExitWriteLock();
    }

    private double? OverrideFor(SignalType type) =>
        type == SignalTypes.Pdq ? _options.PdqThresholdOverride :
        type == SignalTypes.PhotoDna ? _options.PhotoDnaThresholdOverride : null;

    private double MaxListThreshold(SignalType type)
    {
        var max = 0.0;
        foreach (var list in _lists)
        {
            max = Math.Max(max, list.GetThreshold(type));
        }

        return max;
    }

    private static int CompareMatches(ListMatch a, ListMatch b)
    {
        var byDistance = a.Distance.CompareTo(b.Distance);
        if (byDistance != 0)
        {
            return byDistance;
        }

        var byList = string.CompareOrdinal(a.ListName, b.ListName);
        return byList != 0 ? byList : string.CompareOrdinal(a.Entry.Label, b.Entry.Label);
    }

    void IHashListObserver.EntryAdded(HashList list, HashListEntry entry)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_matchersByType.TryGetValue(entry.SignalType, out var matcher))
            {
                matcher = entry.SignalType.CreateMatcher(_context);
                _matchersByType.Add(entry.SignalType, matcher);
                _matchers = [.. _matchersByType];
            }

            var slotNumber = _slots.Count;
            matcher.Add(slotNumber, entry);
            if (!entry.Enabled)
            {
                matcher.SetEnabled(slotNumber, false);
            }

            _slots.Add(new Slot(list, entry));
            _slotByEntry.Add((list, entry.Id), slotNumber);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryRemoved(HashList list, int id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_slotByEntry.Remove((list, id), out var slotNumber) && _slots[slotNumber] is { } slot)
            {
                _matchersByType[slot.Entry.SignalType].Remove(slotNumber);
                _slots[slotNumber] = null;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryChanged(HashList list, HashListEntry entry)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_slotByEntry.TryGetValue((list, entry.Id), out var slotNumber))
            {
                _matchersByType[entry.SignalType].SetEnabled(slotNumber, entry.Enabled);
                _slots[slotNumber] = new Slot(list, entry);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private sealed record Slot(HashList List, HashListEntry Entry);
}
