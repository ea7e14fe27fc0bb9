namespace Needle.Matching.Lists;

/// <summary>
/// A named list of hashes with per-signal thresholds. Adding, disabling, re-enabling or removing an entry is seen by
/// every <see cref="ListMatcher"/> built on the list at its next match, without a rebuild. Thread-safe.
/// </summary>
public sealed class HashList
{
    private readonly Lock _sync = new();
    private readonly Dictionary<int, HashListEntry> _entries = [];
    private readonly List<IHashListObserver> _observers = [];

    // Replaced whole on every change so matchers read thresholds without locking.
    private volatile Dictionary<SignalType, double> _thresholds = [];
    private int _nextId = 1;

    /// <summary>An empty list with default thresholds.</summary>
    /// <param name="name">The list's name, shown in matches; not blank.</param>
    /// <param name="kind">Known material (the default) or an allow list of false positives.</param>
    public HashList(string name, HashListKind kind = HashListKind.Known)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Kind = kind;
    }

    /// <summary>The list's name, shown in matches and statistics.</summary>
    public string Name { get; }

    /// <summary>Whether hits are matches or mark known false positives.</summary>
    public HashListKind Kind { get; }

    /// <summary>Number of entries, enabled or not.</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>PDQ Hamming threshold (inclusive); default 31.</summary>
    public int PdqThreshold
    {
        get => (int)GetThreshold(SignalTypes.Pdq);
        set => SetThreshold(SignalTypes.Pdq, value);
    }

    /// <summary>PhotoDNA Euclidean threshold (inclusive); default 200, see <c>PhotoDnaSignalType</c>.</summary>
    public double PhotoDnaThreshold
    {
        get => GetThreshold(SignalTypes.PhotoDna);
        set => SetThreshold(SignalTypes.PhotoDna, value);
    }

    /// <summary>The threshold for <paramref name="signalType"/>: the one set, else the type's default.</summary>
    public double GetThreshold(SignalType signalType) =>
        _thresholds.TryGetValue(signalType, out var threshold) ? threshold : signalType.DefaultThreshold;

    /// <summary>Whether a threshold was set explicitly (so exporters know what to write).</summary>
    public bool HasExplicitThreshold(SignalType signalType) => _thresholds.ContainsKey(signalType);

    /// <summary>Sets the threshold (inclusive) for <paramref name="signalType"/>; throws when the type rejects it.</summary>
    public void SetThreshold(SignalType signalType, double threshold)
    {
        ArgumentNullException.ThrowIfNull(signalType);
        signalType.ValidateThreshold(threshold);
        lock (_sync)
        {
            _thresholds = new Dictionary<SignalType, double>(_thresholds) { [signalType] = threshold };
        }
    }

    /// <summary>Entries ordered by id, as a snapshot.</summary>
    public IReadOnlyList<HashListEntry> Entries
    {
        get
        {
            lock (_sync)
            {
                var snapshot = new HashListEntry[_entries.Count];
                _entries.Values.CopyTo(snapshot, 0);
                Array.Sort(snapshot, static (a, b) => a.Id.CompareTo(b.Id));
                return snapshot;
            }
        }
    }

    /// <summary>The entry with id <paramref name="id"/>, if any.</summary>
    public bool TryGet(int id, out HashListEntry entry)
    {
        lock (_sync)
        {
            return _entries.TryGetValue(id, out entry!);
        }
    }

    /// <summary>
    /// Adds an entry and returns it with its id. An entry with Id 0 gets the next free id; a non-zero id is kept
    /// (so the native format round-trips ids) and must not be in use.
    /// </summary>
    public HashListEntry Add(HashListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_sync)
        {
            if (entry.Id == 0)
            {
                entry = entry with { Id = _nextId };
            }
            else if (entry.Id < 0 || _entries.ContainsKey(entry.Id))
            {
                throw new ArgumentException($"Entry id {entry.Id} is negative or already in list '{Name}'.", nameof(entry));
            }

            _nextId = Math.Max(_nextId, entry.Id + 1);
            _entries.Add(entry.Id, entry);
            foreach (var observer in _observers)
            {
                observer.EntryAdded(this, entry);
            }

            return entry;
        }
    }

    /// <summary>Removes an entry; false when no entry has that id.</summary>
    public bool Remove(int id)
    {
        lock (_sync)
        {
            if (!_entries.Remove(id))
            {
                return false;
            }

            foreach (var observer in _observers)
            {
                observer.EntryRemoved(this, id);
            }

            return true;
        }
    }

    /// <summary>Enables or disables an entry; false when no entry has that id.</summary>
    public bool SetEnabled(int id, bool enabled)
    {
        lock (_sync)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                return false;
            }

            if (entry.Enabled != enabled)
            {
                entry = entry with { Enabled = enabled };
                _entries[id] = entry;
                foreach (var observer in _observers)
                {
                    observer.EntryChanged(this, entry);
                }
            }

            return true;
        }
    }

    /// <summary>Disables an entry (kept, but never matched); false when no entry has that id.</summary>
    public bool Disable(int id) => SetEnabled(id, false);

    /// <summary>Re-enables an entry; false when no entry has that id.</summary>
    public bool Enable(int id) => SetEnabled(id, true);

    /// <summary>Registers an observer and hands it the current entries under the same lock, so nothing is missed.</summary>
    internal void Subscribe(IHashListObserver observer)
    {
        lock (_sync)
        {
            _observers.Add(observer);
            foreach (var entry in _entries.Values)
            {
                observer.EntryAdded(this, entry);
            }
        }
    }

    internal void Unsubscribe(IHashListObserver observer)
    {
        lock (_sync)
        {
            _observers.Remove(observer);
        }
    }

    /// <summary>"name (kind, N entries)".</summary>
    public override string ToString() => $"{Name} ({Kind}, {Count} entries)";
}

/// <summary>Told of every change to a list, under the list's lock.</summary>
internal interface IHashListObserver
{
    void EntryAdded(HashList list, HashListEntry entry);

    void EntryRemoved(HashList list, int id);

    void EntryChanged(HashList list, HashListEntry entry);
}
