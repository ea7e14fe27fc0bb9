using System.Buffers;

namespace Needle.Matching.Lists;

/// <summary>
/// A named list of hashes with per-signal thresholds. Adding, disabling, re-enabling or removing an entry is seen by
/// every <see cref="ListMatcher"/> built on the list at its next match, without a rebuild. Thread-safe.
/// </summary>
/// <remarks>
/// Entries are kept as columns, not objects: per row the id, signal type, enabled bit and the value in its binary form
/// (PDQ 32 bytes, MD5 16, SHA-1 20, SHA-256 32, PhotoDNA 144), plus a reference to a packed record of what matching
/// does not need (label, category, source, metadata), held in memory or in a temporary file. An entry object is built
/// only when one is asked for (<see cref="TryGet"/>, <see cref="Entries"/>, a match).
/// </remarks>
public sealed class HashList
{
    private const int NoDetails = -1;

    private readonly Lock _sync = new();
    private readonly List<IHashListObserver> _observers = [];
    private readonly EntryDetailStore _details;
    // Rows are found by id with a binary search over _ids while ids arrive in increasing order (always so for lists
    // read from a store or a snapshot), which costs no memory; the first id out of order builds this map instead.
    private IdMap? _rowById;
    private int _count;
    private readonly List<SignalType> _types = [];
    private readonly List<ValueColumn?> _values = [];
    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private int _lastType;

    // Replaced whole on every change so matchers read thresholds without locking.
    private volatile Dictionary<SignalType, double> _thresholds = [];
    private int _nextId = 1;

    // Row columns; a removed row keeps its place with id 0.
    private int _rows;
    private int[] _ids = new int[16];
    private byte[] _typeOf = new byte[16];
    // Enabled flags, one bit a row (row r is bit r % 64 of word r / 64); changed under the lock, read without it.
    private ulong[] _enabled = new ulong[1];
    private long[] _detailRef = new long[16];

    /// <summary>An empty list with default thresholds; details (labels, metadata) are held in memory.</summary>
    /// <param name="name">The list's name, shown in matches; not blank.</param>
    /// <param name="kind">Known material (the default) or an allow list of false positives.</param>
    public HashList(string name, HashListKind kind = HashListKind.Known)
        : this(name, kind, (string?)null)
    {
    }

    /// <summary>
    /// An empty list whose entry details (label, category, source, metadata) are kept in a temporary file in
    /// <paramref name="detailDirectory"/> (deleted when the process ends) and read back only for the entries asked for;
    /// null keeps them in memory.
    /// </summary>
    /// <param name="name">The list's name, shown in matches; not blank.</param>
    /// <param name="kind">Known material or an allow list of false positives.</param>
    /// <param name="detailDirectory">Folder for the detail file, or null.</param>
    public HashList(string name, HashListKind kind, string? detailDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Kind = kind;
        _details = detailDirectory is null ? new MemoryDetailStore() : new FileDetailStore(detailDirectory);
    }

    private HashList(string name, HashListKind kind, EntryDetailStore details)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Kind = kind;
        _details = details;
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
                return _count;
            }
        }
    }

    /// <summary>Bytes of memory the entries take (columns, id map, values and in-memory details); the matchers' indexes are not counted.</summary>
    public long MemoryBytes
    {
        get
        {
            lock (_sync)
            {
                long total = (_ids.Length * (sizeof(int) + sizeof(byte) + sizeof(long))) + (_enabled.Length * sizeof(ulong));
                total += (_rowById?.Bytes ?? 0) + _details.MemoryBytes;
                foreach (var column in _values)
                {
                    total += column?.Bytes ?? 0;
                }

                return total;
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

    /// <summary>Entries ordered by id, as a snapshot (each built from the columns and details).</summary>
    public IReadOnlyList<HashListEntry> Entries
    {
        get
        {
            lock (_sync)
            {
                var snapshot = new HashListEntry[_count];
                var n = 0;
                var sorted = true;
                for (var row = 0; row < _rows; row++)
                {
                    if (_ids[row] > 0)
                    {
                        snapshot[n] = BuildEntry(row);
                        sorted &= n == 0 || snapshot[n - 1].Id < snapshot[n].Id;
                        n++;
                    }
                }

                if (!sorted)
                {
                    Array.Sort(snapshot, static (a, b) => a.Id.CompareTo(b.Id));
                }

                return snapshot;
            }
        }
    }

    /// <summary>The entries of one signal type ordered by id, as a snapshot; rows of other types are not read.</summary>
    public IReadOnlyList<HashListEntry> EntriesOf(SignalType signalType)
    {
        ArgumentNullException.ThrowIfNull(signalType);
        lock (_sync)
        {
            var typeIndex = _types.IndexOf(signalType);
            if (typeIndex < 0)
            {
                return [];
            }

            var result = new List<HashListEntry>();
            for (var row = 0; row < _rows; row++)
            {
                if (_ids[row] > 0 && _typeOf[row] == typeIndex)
                {
                    result.Add(BuildEntry(row));
                }
            }

            result.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            return result;
        }
    }

    /// <summary>The entry with id <paramref name="id"/>, if any.</summary>
    public bool TryGet(int id, out HashListEntry entry)
    {
        lock (_sync)
        {
            if (TryFindRow(id, out var row))
            {
                entry = BuildEntry(row);
                return true;
            }

            entry = null!;
            return false;
        }
    }

    /// <summary>Whether an entry with id <paramref name="id"/> is present and, if so, whether it is enabled.</summary>
    public bool TryGetEnabled(int id, out bool enabled)
    {
        lock (_sync)
        {
            if (TryFindRow(id, out var row))
            {
                enabled = IsEnabled(_enabled, row);
                return true;
            }

            enabled = false;
            return false;
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
            else if (entry.Id < 0 || TryFindRow(entry.Id, out _))
            {
                throw new ArgumentException($"Entry id {entry.Id} is negative or already in list '{Name}'.", nameof(entry));
            }

            var row = AppendRow(entry);
            _nextId = Math.Max(_nextId, entry.Id + 1);
            if (_observers.Count > 0)
            {
                var value = ValueOf(row);
                foreach (var observer in _observers)
                {
                    observer.EntryAdded(this, entry.Id, row, ValueRowOf(row), entry.SignalType, value, entry.Enabled);
                }
            }

            return entry;
        }
    }

    /// <summary>
    /// Adds entries as <see cref="Add"/> does, one batch under the list's lock, and returns them with their ids.
    /// Matchers built on the list take a large batch in one go (a PDQ index is rebuilt once, not merged per entry).
    /// Stops at the first entry <see cref="Add"/> would refuse, keeping those before it.
    /// </summary>
    public IReadOnlyList<HashListEntry> AddRange(IEnumerable<HashListEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var added = new List<HashListEntry>();
        lock (_sync)
        {
            foreach (var observer in _observers)
            {
                observer.BulkStarted(this);
            }

            try
            {
                foreach (var entry in entries)
                {
                    added.Add(Add(entry));
                }
            }
            finally
            {
                foreach (var observer in _observers)
                {
                    observer.BulkEnded(this);
                }
            }
        }

        return added;
    }

    /// <summary>
    /// Adds entries as <see cref="AddRange"/> does (one batch under the list's lock, stopping at the first refused
    /// entry) without keeping them: a batch of millions is not held as objects. Each added entry, with its id, goes to
    /// <paramref name="added"/> when given. Returns how many were added.
    /// </summary>
    public int AddBatch(IEnumerable<HashListEntry> entries, Action<HashListEntry>? added = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var count = 0;
        lock (_sync)
        {
            foreach (var observer in _observers)
            {
                observer.BulkStarted(this);
            }

            try
            {
                foreach (var entry in entries)
                {
                    var stored = Add(entry);
                    added?.Invoke(stored);
                    count++;
                }
            }
            finally
            {
                foreach (var observer in _observers)
                {
                    observer.BulkEnded(this);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Adds an import's rows column by column, as <see cref="AddBatch"/> adds entries (one batch under the lock, a
    /// row with id 0 given the next free id, stopping at the first id in use with an <see cref="ArgumentException"/>),
    /// without an entry object: each row's value bytes go to its type's column, its enabled bit to the bitmap and its
    /// label, category, source and metadata bytes to the detail record. <paramref name="rows"/> may hand out one
    /// reused row; <paramref name="expected"/> (when known) sizes the columns once. Each added row, with its id set,
    /// goes to <paramref name="added"/> when given. Returns how many were added.
    /// </summary>
    public int AddRows(IEnumerable<ImportRow> rows, int expected = 0, Action<ImportRow>? added = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var count = 0;
        lock (_sync)
        {
            if (expected > 0 && _rows + expected > _ids.Length)
            {
                var capacity = _rows + expected;
                Array.Resize(ref _ids, capacity);
                Array.Resize(ref _typeOf, capacity);
                Array.Resize(ref _enabled, BitmapWords(capacity));
                Array.Resize(ref _detailRef, capacity);
            }

            foreach (var observer in _observers)
            {
                observer.BulkStarted(this);
            }

            try
            {
                foreach (var item in rows)
                {
                    if (item.Id == 0)
                    {
                        item.Id = _nextId;
                    }
                    else if (item.Id < 0 || ((_rowById is not null || (_rows > 0 && item.Id <= Math.Abs(_ids[_rows - 1]))) && TryFindRow(item.Id, out _)))
                    {
                        throw new ArgumentException($"Entry id {item.Id} is negative or already in list '{Name}'.", nameof(rows));
                    }

                    var row = AppendRow(item, out var valueRow);
                    _nextId = Math.Max(_nextId, item.Id + 1);
                    foreach (var observer in _observers)
                    {
                        observer.EntryAdded(this, item.Id, row, valueRow, item.SignalType, item.SignalType.ValueBytes > 0 ? item.BinaryValue : default, item.Enabled);
                    }

                    added?.Invoke(item);
                    count++;
                }
            }
            finally
            {
                foreach (var observer in _observers)
                {
                    observer.BulkEnded(this);
                }
            }
        }

        return count;
    }

    /// <summary>Removes an entry; false when no entry has that id.</summary>
    public bool Remove(int id)
    {
        lock (_sync)
        {
            if (!TryFindRow(id, out var row))
            {
                return false;
            }

            // A removed row keeps its place (and its id's order, negated) until the list is rebuilt.
            _rowById?.Remove(id, out _);
            _ids[row] = -id;
            _count--;
            foreach (var observer in _observers)
            {
                observer.EntryRemoved(this, id, row, ValueRowOf(row), _types[_typeOf[row]]);
            }

            return true;
        }
    }

    /// <summary>Enables or disables an entry; false when no entry has that id.</summary>
    public bool SetEnabled(int id, bool enabled)
    {
        lock (_sync)
        {
            if (!TryFindRow(id, out var row))
            {
                return false;
            }

            if (IsEnabled(_enabled, row) != enabled)
            {
                SetEnabledBit(row, enabled);
                foreach (var observer in _observers)
                {
                    observer.EntryEnabledChanged(this, id, row, ValueRowOf(row), _types[_typeOf[row]], enabled);
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
            // Rows are visited in order, so each type's value index is a running count (removed rows keep theirs).
            var next = new int[_types.Count];
            for (var row = 0; row < _rows; row++)
            {
                var t = _typeOf[row];
                var column = _values[t];
                var valueRow = column is null ? -1 : next[t]++;
                if (_ids[row] > 0)
                {
                    observer.EntryAdded(this, _ids[row], row, valueRow, _types[t], column is null ? default : column.Get(valueRow), IsEnabled(_enabled, row));
                }
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

    /// <summary>
    /// A copy of the live rows' columns in row order (for <see cref="HashListSnapshotFile"/>), taken under the lock so it
    /// is one consistent state; detail records are read afterwards through <see cref="OpenDetailReader"/> (they never
    /// change once written, so a reference stays valid after the entry is removed).
    /// </summary>
    internal HashListColumns CaptureColumns()
    {
        lock (_sync)
        {
            if (_count == _rows && TryCaptureWhole() is { } whole)
            {
                return whole;
            }

            var n = _count;
            var ids = new int[n];
            var typeOf = new byte[n];
            var enabled = new bool[n];
            var detailRefs = new long[n];
            var counts = new int[_types.Count];
            for (var row = 0; row < _rows; row++)
            {
                if (_ids[row] > 0)
                {
                    counts[_typeOf[row]]++;
                }
            }

            var values = new byte[_types.Count][];
            for (var t = 0; t < values.Length; t++)
            {
                values[t] = new byte[(long)counts[t] * _types[t].ValueBytes];
                counts[t] = 0;
            }

            var at = 0;
            // Each type's value index is a running count over all its rows, removed ones included.
            var valueRows = new int[_types.Count];
            for (var row = 0; row < _rows; row++)
            {
                var t = _typeOf[row];
                var valueRow = _values[t] is null ? -1 : valueRows[t]++;
                if (_ids[row] <= 0)
                {
                    continue;
                }

                ids[at] = _ids[row];
                typeOf[at] = t;
                enabled[at] = IsEnabled(_enabled, row);
                detailRefs[at] = _detailRef[row];
                var width = _types[t].ValueBytes;
                if (width > 0)
                {
                    _values[t]!.Get(valueRow).CopyTo(values[t].AsSpan(counts[t]++ * width, width));
                }

                at++;
            }

            return new HashListColumns([.. _types], ids, typeOf, enabled, values, detailRefs, new Dictionary<SignalType, double>(_thresholds));
        }
    }

    /// <summary>
    /// <see cref="CaptureColumns"/> of a list with no removed row (the usual state after an import): every column is
    /// copied as a block, not row by row, which keeps the lock short at a hundred million rows. Null when a type's
    /// values do not line up with its rows one to one. Under the lock.
    /// </summary>
    private HashListColumns? TryCaptureWhole()
    {
        var n = _rows;
        var typeOf = _typeOf.AsSpan(0, n).ToArray();
        var counts = new int[_types.Count];
        foreach (var t in typeOf)
        {
            counts[t]++;
        }

        var values = new byte[_types.Count][];
        for (var t = 0; t < values.Length; t++)
        {
            var column = _values[t];
            if (column is null)
            {
                values[t] = [];
                continue;
            }

            if (column.Count != counts[t])
            {
                return null;
            }

            values[t] = column.CopyPacked();
        }

        var enabled = new bool[n];
        for (var row = 0; row < n; row++)
        {
            enabled[row] = IsEnabled(_enabled, row);
        }

        return new HashListColumns(
            [.. _types], _ids.AsSpan(0, n).ToArray(), typeOf, enabled, values, _detailRef.AsSpan(0, n).ToArray(), new Dictionary<SignalType, double>(_thresholds));
    }

    /// <summary>
    /// A reader of the detail records appended so far (every reference <see cref="CaptureColumns"/> returned before),
    /// taken under the lock and read without it.
    /// </summary>
    internal DetailRecordReader OpenDetailReader()
    {
        lock (_sync)
        {
            return _details.OpenReader();
        }
    }

    /// <summary>
    /// A list made from columns (as <see cref="CaptureColumns"/> returns them, references into <paramref name="details"/>),
    /// taking ownership of the arrays; the caller has checked them.
    /// </summary>
    internal static HashList FromColumns(string name, HashListKind kind, HashListColumns columns, EntryDetailStore details)
    {
        var list = new HashList(name, kind, details);
        var n = columns.Ids.Length;
        var capacity = Math.Max(16, n);
        list._ids = columns.Ids.Length == capacity ? columns.Ids : ResizeTo(columns.Ids, capacity);
        list._typeOf = ResizeTo(columns.TypeOf, capacity);
        list._enabled = new ulong[BitmapWords(capacity)];
        for (var row = 0; row < n; row++)
        {
            if (columns.Enabled[row])
            {
                list._enabled[row >> 6] |= 1UL << row;
            }
        }

        list._detailRef = ResizeTo(columns.DetailRefs, capacity);
        list._rows = n;
        list._types.AddRange(columns.Types);
        var counts = new int[columns.Types.Count];
        var rowsOf = new int[columns.Types.Count][];
        for (var t = 0; t < columns.Types.Count; t++)
        {
            rowsOf[t] = new int[columns.ValueCount(t)];
        }

        var nextId = 1;
        for (var row = 0; row < n; row++)
        {
            var t = list._typeOf[row];
            if (columns.Types[t].ValueBytes > 0)
            {
                if (counts[t] == rowsOf[t].Length)
                {
                    throw new InvalidDataException($"List '{name}' holds more {columns.Types[t].Name} entries than values.");
                }

                rowsOf[t][counts[t]++] = row;
            }

            var id = list._ids[row];
            if (id <= 0 || (row > 0 && id <= list._ids[row - 1] && (list._rowById ??= list.MapRows(row)).ContainsKey(id)))
            {
                throw new InvalidDataException($"Entry id {id} of list '{name}' is not positive or appears twice.");
            }

            list._rowById?.Set(id, row);
            nextId = Math.Max(nextId, id + 1);
        }

        for (var t = 0; t < columns.Types.Count; t++)
        {
            var width = columns.Types[t].ValueBytes;
            if (counts[t] != rowsOf[t].Length)
            {
                throw new InvalidDataException($"List '{name}' holds fewer {columns.Types[t].Name} entries than values.");
            }

            list._values.Add(width == 0 ? null
                : columns.ValueWords?[t] is { } words ? ValueColumn.FromWords(width, words, rowsOf[t])
                : ValueColumn.FromPacked(width, columns.Values[t], rowsOf[t]));
        }

        list._nextId = nextId;
        list._count = n;
        list._thresholds = new Dictionary<SignalType, double>(columns.Thresholds);
        return list;
    }

    private static T[] ResizeTo<T>(T[] array, int capacity)
    {
        if (array.Length != capacity)
        {
            Array.Resize(ref array, capacity);
        }

        return array;
    }

    /// <summary>"name (kind, N entries)".</summary>
    public override string ToString() => $"{Name} ({Kind}, {Count} entries)";

    private int AppendRow(HashListEntry entry)
    {
        EnsureRowCapacity();
        var type = entry.SignalType;
        var typeIndex = TypeIndexOf(type);
        var fixedWidth = type.ValueBytes > 0;
        var row = _rows;
        if (fixedWidth)
        {
            _values[typeIndex]!.Append(type, entry.Value, row);
        }

        _scratch.ResetWrittenCount();
        var detail = EntryDetailCodec.TryEncode(entry, includeValue: !fixedWidth, _scratch) ? _details.Append(_scratch.WrittenSpan) : NoDetails;
        return FinishRow(row, entry.Id, typeIndex, entry.Enabled, detail);
    }

    private int AppendRow(ImportRow item, out int valueRow)
    {
        EnsureRowCapacity();
        var type = item.SignalType;
        var typeIndex = TypeIndexOf(type);
        var fixedWidth = type.ValueBytes > 0;
        var row = _rows;
        valueRow = fixedWidth ? _values[typeIndex]!.Append(item.BinaryValue, row) : -1;
        _scratch.ResetWrittenCount();
        var detail = EntryDetailCodec.TryEncode(item, includeValue: !fixedWidth, _scratch) ? _details.Append(_scratch.WrittenSpan) : NoDetails;
        return FinishRow(row, item.Id, typeIndex, item.Enabled, detail);
    }

    private void EnsureRowCapacity()
    {
        if (_rows == _ids.Length)
        {
            var capacity = _rows * 2;
            Array.Resize(ref _ids, capacity);
            Array.Resize(ref _typeOf, capacity);
            Array.Resize(ref _enabled, BitmapWords(capacity));
            Array.Resize(ref _detailRef, capacity);
        }
    }

    /// <summary>The row's id, type, enabled bit and details reference, once its value is in its column.</summary>
    private int FinishRow(int row, int id, int typeIndex, bool enabled, long detail)
    {
        _rows++;
        _ids[row] = id;
        _typeOf[row] = (byte)typeIndex;
        SetEnabledBit(row, enabled);
        _detailRef[row] = detail;
        _count++;
        if (_rowById is null && row > 0 && id <= Math.Abs(_ids[row - 1]))
        {
            _rowById = MapRows(row);
        }

        _rowById?.Set(id, row);
        return row;
    }

    private int TypeIndexOf(SignalType type)
    {
        // An import has one or two types: the last one found is checked first.
        if (_lastType < _types.Count && ReferenceEquals(_types[_lastType], type))
        {
            return _lastType;
        }

        var typeIndex = _types.IndexOf(type);
        if (typeIndex < 0)
        {
            if (_types.Count == byte.MaxValue)
            {
                throw new InvalidOperationException($"List '{Name}' holds too many signal types.");
            }

            typeIndex = _types.Count;
            _types.Add(type);
            _values.Add(type.ValueBytes > 0 ? new ValueColumn(type.ValueBytes) : null);
        }

        _lastType = typeIndex;
        return typeIndex;
    }

    /// <summary>The row of the live entry <paramref name="id"/>: a binary search while ids are in order, else the map.</summary>
    private bool TryFindRow(int id, out int row)
    {
        if (id <= 0)
        {
            row = -1;
            return false;
        }

        if (_rowById is not null)
        {
            return _rowById.TryGetValue(id, out row);
        }

        int lo = 0, hi = _rows - 1;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var at = Math.Abs(_ids[mid]);
            if (at == id)
            {
                row = mid;
                return _ids[mid] > 0;
            }

            if (at < id)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        row = -1;
        return false;
    }

    /// <summary>A map of the live rows before <paramref name="rows"/>, built when ids stop arriving in order.</summary>
    private IdMap MapRows(int rows)
    {
        var map = new IdMap();
        for (var row = 0; row < rows; row++)
        {
            if (_ids[row] > 0)
            {
                map.Set(_ids[row], row);
            }
        }

        return map;
    }

    private ReadOnlySpan<byte> ValueOf(int row) =>
        _values[_typeOf[row]] is { } column ? column.Get(column.IndexOfRow(row)) : default;

    /// <summary>The place of <paramref name="row"/>'s value in its type's column, or -1 for types without one.</summary>
    private int ValueRowOf(int row) => _values[_typeOf[row]] is { } column ? column.IndexOfRow(row) : -1;

    /// <summary>
    /// The value column of <paramref name="signalType"/> (null for types without fixed-width values), for matchers that
    /// search the list's own values; see <see cref="ValueColumn"/> for what may be read without the lock.
    /// </summary>
    internal ValueColumn? ColumnOf(SignalType signalType)
    {
        lock (_sync)
        {
            var typeIndex = _types.IndexOf(signalType);
            return typeIndex < 0 ? null : _values[typeIndex];
        }
    }

    /// <summary>
    /// The id of <paramref name="row"/> (negative once removed), read without the lock by matchers that learnt of the row
    /// through the observer calls; a change racing with the read is seen before or after, never torn.
    /// </summary>
    internal int IdAt(int row) => Volatile.Read(ref _ids)[row];

    /// <summary>Whether <paramref name="row"/> is enabled, read as <see cref="IdAt"/> is.</summary>
    internal bool EnabledAt(int row) => IsEnabled(Volatile.Read(ref _enabled), row);

    private static bool IsEnabled(ulong[] bits, int row) => (bits[row >> 6] & (1UL << row)) != 0;

    private static int BitmapWords(int rows) => (rows + 63) >> 6;

    /// <summary>Sets or clears a row's enabled bit (under the lock; a lock-free reader sees the word before or after).</summary>
    private void SetEnabledBit(int row, bool enabled)
    {
        ref var word = ref _enabled[row >> 6];
        word = enabled ? word | (1UL << row) : word & ~(1UL << row);
    }

    private HashListEntry BuildEntry(int row)
    {
        var type = _types[_typeOf[row]];
        var value = _values[_typeOf[row]] is null ? null : type.DecodeValue(ValueOf(row));
        if (_detailRef[row] == NoDetails)
        {
            return HashListEntry.Trusted(type, value!, _ids[row], IsEnabled(_enabled, row), null, null, null);
        }

        return EntryDetailCodec.Decode(_details.Read(_detailRef[row]).Span, type, value, _ids[row], IsEnabled(_enabled, row));
    }
}

/// <summary>Told of every change to a list, under the list's lock.</summary>
internal interface IHashListObserver
{
    /// <summary>
    /// An entry was added at <paramref name="row"/> (a list's rows are never reused, so observers may index by it);
    /// <paramref name="value"/> is its binary form (empty for types without one).
    /// </summary>
    /// <remarks><paramref name="valueRow"/> is its place in the list's <see cref="ValueColumn"/> of its type (-1: none).</remarks>
    void EntryAdded(HashList list, int id, int row, int valueRow, SignalType signalType, ReadOnlySpan<byte> value, bool enabled);

    void EntryRemoved(HashList list, int id, int row, int valueRow, SignalType signalType);

    void EntryEnabledChanged(HashList list, int id, int row, int valueRow, SignalType signalType, bool enabled);

    /// <summary>A batch of changes starts: structures may collect them and build once at <see cref="BulkEnded"/>.</summary>
    void BulkStarted(HashList list);

    void BulkEnded(HashList list);
}
