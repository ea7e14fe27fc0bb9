using Needle.Hashing;
using Needle.Matching.Compiled;
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
    private readonly Dictionary<HashList, int> _listIndex = [];
    // Per list, the slot of each of its rows (-1: none): 4 bytes a row instead of a map by entry id.
    private readonly int[][] _slotByRow;
    private readonly List<TypeMatcher> _matchers = [];
    private readonly CompiledListFile[] _compiled = [];

    // Global slots (one per entry followed), as columns: list, entry id (0 once removed), enabled, type and the
    // type matcher's own dense slot.
    private int _slotCount;
    private int[] _slotList = new int[16];
    private int[] _slotEntry = new int[16];
    private bool[] _slotEnabled = new bool[16];
    private byte[] _slotType = new byte[16];
    private int[] _slotLocal = new int[16];
    private bool _disposed;
    // Batches in progress (the constructor's, and lists' AddRange calls); structures collect while it is above 0.
    private int _bulkDepth;

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
        _slotByRow = new int[_lists.Length][];
        for (var i = 0; i < _lists.Length; i++)
        {
            _slotByRow[i] = [];
            _listIndex.TryAdd(_lists[i], i);
        }

        // The entries already in the lists are collected first and each structure is built once (a PDQ index built
        // entry by entry would re-merge its tables many times over).
        _bulkDepth = 1;
        foreach (var list in _lists)
        {
            list.Subscribe(this);
        }

        _lock.EnterWriteLock();
        try
        {
            if (--_bulkDepth == 0)
            {
                foreach (var typeMatcher in _matchers)
                {
                    typeMatcher.Matcher.EndBulk();
                }
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
    /// <param name="pdqIndexFactory">Makes the PDQ index (one for all lists).</param>
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
            foreach (var typeMatcher in _matchers)
            {
                var type = typeMatcher.Type;
                if (!pdqUsable && type.Comparison == SignalComparison.Hamming)
                {
                    continue;
                }

                var overrideThreshold = OverrideFor(type);
                var maxDistance = overrideThreshold ?? MaxListThreshold(type);
                hits.Clear();
                typeMatcher.Matcher.Match(signals, maxDistance, hits);
                foreach (var hit in hits)
                {
                    var slot = typeMatcher.GlobalSlots[hit.Slot];
                    if (_slotEntry[slot] == 0 || !_slotEnabled[slot])
                    {
                        continue;
                    }

                    var list = _lists[_slotList[slot]];
                    if (hit.Distance > (overrideThreshold ?? list.GetThreshold(type)))
                    {
                        continue;
                    }

                    found.Add(new FoundHit(list, _slotEntry[slot], type, hit.Distance, hit.Transform));
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

    void IHashListObserver.EntryAdded(HashList list, int id, int row, SignalType signalType, ReadOnlySpan<byte> value, bool enabled)
    {
        _lock.EnterWriteLock();
        try
        {
            var typeIndex = _matchers.FindIndex(m => m.Type == signalType);
            if (typeIndex < 0)
            {
                typeIndex = _matchers.Count;
                _matchers.Add(new TypeMatcher(signalType, signalType.CreateMatcher(_context)));
                if (_bulkDepth > 0)
                {
                    _matchers[typeIndex].Matcher.BeginBulk();
                }
            }

            var typeMatcher = _matchers[typeIndex];
            if (_slotCount == _slotEntry.Length)
            {
                var capacity = _slotCount * 2;
                Array.Resize(ref _slotList, capacity);
                Array.Resize(ref _slotEntry, capacity);
                Array.Resize(ref _slotEnabled, capacity);
                Array.Resize(ref _slotType, capacity);
                Array.Resize(ref _slotLocal, capacity);
            }

            var slot = _slotCount;
            var local = typeMatcher.AddSlot(slot);
            typeMatcher.Matcher.Add(local, value);
            if (!enabled)
            {
                typeMatcher.Matcher.SetEnabled(local, false);
            }

            var listIndex = _listIndex[list];
            _slotList[slot] = listIndex;
            _slotEntry[slot] = id;
            _slotEnabled[slot] = enabled;
            _slotType[slot] = (byte)typeIndex;
            _slotLocal[slot] = local;
            _slotCount++;
            ref var rows = ref _slotByRow[listIndex];
            if (row >= rows.Length)
            {
                var grown = new int[Math.Max(row + 1, Math.Max(16, rows.Length * 2))];
                rows.CopyTo(grown, 0);
                grown.AsSpan(rows.Length).Fill(-1);
                rows = grown;
            }

            rows[row] = slot;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryRemoved(HashList list, int id, int row)
    {
        _lock.EnterWriteLock();
        try
        {
            if (SlotOf(list, row) is var slot and >= 0 && _slotEntry[slot] == id)
            {
                _matchers[_slotType[slot]].Matcher.Remove(_slotLocal[slot]);
                _slotEntry[slot] = 0;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    void IHashListObserver.EntryEnabledChanged(HashList list, int id, int row, bool enabled)
    {
        _lock.EnterWriteLock();
        try
        {
            if (SlotOf(list, row) is var slot and >= 0 && _slotEntry[slot] == id)
            {
                _matchers[_slotType[slot]].Matcher.SetEnabled(_slotLocal[slot], enabled);
                _slotEnabled[slot] = enabled;
            }
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
                foreach (var typeMatcher in _matchers)
                {
                    typeMatcher.Matcher.BeginBulk();
                }
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
                foreach (var typeMatcher in _matchers)
                {
                    typeMatcher.Matcher.EndBulk();
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The slot of a list's row, or -1.</summary>
    private int SlotOf(HashList list, int row)
    {
        var rows = _slotByRow[_listIndex[list]];
        return row < rows.Length ? rows[row] : -1;
    }

    private readonly record struct FoundHit(HashList List, int EntryId, SignalType Type, double Distance, DihedralTransform Transform);

    /// <summary>The matcher of one signal type and, per its dense slot, the global slot.</summary>
    private sealed class TypeMatcher(SignalType type, SignalMatcher matcher)
    {
        private int _count;

        public SignalType Type { get; } = type;

        public SignalMatcher Matcher { get; } = matcher;

        public int[] GlobalSlots { get; private set; } = new int[16];

        public int AddSlot(int globalSlot)
        {
            if (_count == GlobalSlots.Length)
            {
                var slots = GlobalSlots;
                Array.Resize(ref slots, _count * 2);
                GlobalSlots = slots;
            }

            GlobalSlots[_count] = globalSlot;
            return _count++;
        }
    }
}
