using Needle.Hashing;
using Needle.Matching.Compiled;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// Matches files against several lists at once. Each list has one search structure per signal type, built over the
/// list's own value columns where the type allows (so a hash is held once, by its list); hits are filtered by the list's
/// threshold. List changes are applied as they happen.
/// Thread-safe: any number of concurrent <see cref="Match"/> calls, serialized against list changes.
/// </summary>
public sealed class ListMatcher : IDisposable, IHashListObserver
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly HashList[] _lists;
    private readonly ListMatcherOptions _options;
    private readonly Func<IPdqIndex> _pdqIndexFactory;
    // Per distinct list, in the order given: its matchers by the index of their type in _types.
    private readonly Dictionary<HashList, ListState> _states = new(ReferenceEqualityComparer.Instance);
    private readonly List<ListState> _ordered = [];
    // Signal types in the order first seen (the order hits are collected in, as before per-list matchers).
    private readonly List<SignalType> _types = [];
    private readonly CompiledListFile[] _compiled = [];
    private bool _disposed;
    // Batches in progress (the constructor's, and lists' AddRange calls); structures collect while it is above 0.
    private int _bulkDepth;

    /// <summary>Builds one search structure per list and signal type over every entry of <paramref name="lists"/> and follows their changes.</summary>
    /// <param name="lists">The lists to match against; they stay live.</param>
    /// <param name="pdqIndexFactory">Makes a PDQ index (one per list holding PDQ entries).</param>
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

        _pdqIndexFactory = pdqIndexFactory;
        foreach (var list in _lists)
        {
            var state = new ListState(list);
            if (_states.TryAdd(list, state))
            {
                _ordered.Add(state);
            }
        }

        // The entries already in the lists are collected first and each structure is built once (a PDQ index built
        // entry by entry would re-merge its tables many times over).
        _bulkDepth = 1;
        foreach (var state in _ordered)
        {
            state.List.Subscribe(this);
        }

        _lock.EnterWriteLock();
        try
        {
            if (--_bulkDepth == 0)
            {
                ForEachMatcher(static m => m.EndBulk());
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Builds a matcher over <paramref name="lists"/> (as the other constructor) and the compiled list files
    /// <paramref name="compiled"/>, which are searched where they lie (memory-mapped) and give the matches their source
    /// lists would. The files stay owned by the caller.
    /// </summary>
    /// <param name="lists">The lists to match against; they stay live.</param>
    /// <param name="compiled">Compiled list files to match against as well.</param>
    /// <param name="pdqIndexFactory">Makes a PDQ index (one per list holding PDQ entries).</param>
    /// <param name="options">Threshold overrides and quality filter.</param>
    public ListMatcher(IEnumerable<HashList> lists, IEnumerable<CompiledListFile> compiled, Func<IPdqIndex> pdqIndexFactory, ListMatcherOptions? options = null)
        : this(lists, pdqIndexFactory, options)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        _compiled = [.. compiled];
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
        var found = new List<FoundHit>();
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var t = 0; t < _types.Count; t++)
            {
                var type = _types[t];
                if (!pdqUsable && type.Comparison == SignalComparison.Hamming)
                {
                    continue;
                }

                var overrideThreshold = OverrideFor(type);
                foreach (var state in _ordered)
                {
                    if (t >= state.Matchers.Length || state.Matchers[t] is not { } matcher)
                    {
                        continue;
                    }

                    var list = state.List;
                    var threshold = overrideThreshold ?? list.GetThreshold(type);
                    hits.Clear();
                    matcher.Match(signals, threshold, hits);
                    foreach (var hit in hits)
                    {
                        var id = list.IdAt(hit.Slot);
                        if (id <= 0 || !list.EnabledAt(hit.Slot) || hit.Distance > threshold)
                        {
                            continue;
                        }

                        found.Add(new FoundHit(list, id, type, hit.Distance, hit.Transform));
                    }
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        // The entries' details are read outside the matcher's lock (a list calls the matcher under its own lock); an
        // entry removed or disabled in between is dropped, as if the change had come first.
        foreach (var hit in found)
        {
            if (!hit.List.TryGet(hit.EntryId, out var entry) || !entry.Enabled)
            {
                continue;
            }

            var match = new ListMatch(hit.List.Name, hit.List.Kind, entry, hit.Type, entry.Value, hit.Distance, hit.Transform);
            if (hit.List.Kind == HashListKind.Allow)
            {
                (allowed ??= []).Add(match);
            }
            else
            {
                (known ??= []).Add(match);
            }
        }

        foreach (var file in _compiled)
        {
            file.Collect(signals, pdqUsable, _options, ref known, ref allowed);
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
        foreach (var state in _ordered)
        {
            state.List.Unsubscribe(this);
        }

        _lock.EnterWriteLock();
        _disposed = true;
        _lock.ExitWriteLock();
    }

    private double? OverrideFor(SignalType type) =>
        type == SignalTypes.Pdq ? _options.PdqThresholdOverride :
        type == SignalTypes.PhotoDna ? _options.PhotoDnaThresholdOverride : null;

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

    void IHashListObserver.EntryAdded(HashList list, int id, int row, int valueRow, SignalType signalType, ReadOnlySpan<byte> value, bool enabled)
    {
        _lock.EnterWriteLock();
        try
        {
            var typeIndex = _types.IndexOf(signalType);
            if (typeIndex < 0)
            {
                typeIndex = _types.Count;
                _types.Add(signalType);
            }

            var state = _states[list];
            if (typeIndex >= state.Matchers.Length)
            {
                var matchers = state.Matchers;
                Array.Resize(ref matchers, _types.Count);
                state.Matchers = matchers;
            }

            var matcher = state.Matchers[typeIndex];
            if (matcher is null)
            {
                matcher = signalType.CreateMatcher(new SignalMatcherContext(_pdqIndexFactory, list, list.ColumnOf(signalType)));
                if (_bulkDepth > 0)
                {
                    matcher.BeginBulk();
                }

                state.Matchers[typeIndex] = matcher;
            }

            matcher.Add(row, valueRow, value, enabled);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryRemoved(HashList list, int id, int row, int valueRow, SignalType signalType)
    {
        _lock.EnterWriteLock();
        try
        {
            MatcherOf(list, signalType)?.Remove(row, valueRow);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryEnabledChanged(HashList list, int id, int row, int valueRow, SignalType signalType, bool enabled)
    {
        _lock.EnterWriteLock();
        try
        {
            MatcherOf(list, signalType)?.SetEnabled(row, valueRow, enabled);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.BulkStarted(HashList list)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_bulkDepth++ == 0)
            {
                ForEachMatcher(static m => m.BeginBulk());
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.BulkEnded(HashList list)
    {
        _lock.EnterWriteLock();
        try
        {
            if (--_bulkDepth == 0)
            {
                ForEachMatcher(static m => m.EndBulk());
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The matcher of a list's signal type, or null.</summary>
    private SignalMatcher? MatcherOf(HashList list, SignalType signalType)
    {
        var typeIndex = _types.IndexOf(signalType);
        var matchers = _states[list].Matchers;
        return typeIndex >= 0 && typeIndex < matchers.Length ? matchers[typeIndex] : null;
    }

    private void ForEachMatcher(Action<SignalMatcher> action)
    {
        foreach (var state in _ordered)
        {
            foreach (var matcher in state.Matchers)
            {
                if (matcher is not null)
                {
                    action(matcher);
                }
            }
        }
    }

    /// <summary>The matcher of <paramref name="list"/> for <paramref name="signalType"/> (for tests), or null.</summary>
    internal SignalMatcher? MatcherFor(HashList list, SignalType signalType)
    {
        _lock.EnterReadLock();
        try
        {
            return MatcherOf(list, signalType);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private readonly record struct FoundHit(HashList List, int EntryId, SignalType Type, double Distance, DihedralTransform Transform);

    /// <summary>One list followed and its matchers, by the index of their type in the matcher's type order.</summary>
    private sealed class ListState(HashList list)
    {
        public HashList List { get; } = list;

        public SignalMatcher?[] Matchers { get; set; } = [];
    }
}
