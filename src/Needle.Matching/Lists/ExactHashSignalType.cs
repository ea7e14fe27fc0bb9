using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Needle.Matching.Lists;

/// <summary>
/// A cryptographic digest matched exactly. Values are hex of a fixed length, either case; the canonical form is
/// lowercase. Lookups go through a compact struct key so the hot path neither allocates nor hashes strings.
/// </summary>
internal abstract class ExactHashSignalType<TKey> : SignalType
    where TKey : struct, IEquatable<TKey>
{
    /// <summary>Number of hex digits.</summary>
    public abstract int HexLength { get; }

    public override SignalComparison Comparison => SignalComparison.Exact;

    public abstract bool TryParseKey(ReadOnlySpan<char> hex, out TKey key);

    /// <summary>The key of a digest's bytes (big-endian, as written by <see cref="EncodeValue"/>).</summary>
    public abstract TKey KeyFromBytes(ReadOnlySpan<byte> digest);

    internal override int ValueBytes => HexLength / 2;

    internal override bool IsHexValue => true;

    internal override void EncodeValue(string canonical, Span<byte> destination)
    {
        if (Convert.FromHexString(canonical, destination, out _, out var written) != System.Buffers.OperationStatus.Done || written != ValueBytes)
        {
            throw new FormatException($"Invalid {Name} value '{canonical}'.");
        }
    }

    internal override string DecodeValue(ReadOnlySpan<byte> source) => Convert.ToHexStringLower(source);

    /// <summary>The query's value of this type, if any.</summary>
    public abstract string? GetQueryValue(FileSignals signals);

    public override bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        text = text.Trim();
        if (text.Length != HexLength || !HexKeys.IsHex(text) || !TryParseKey(text, out _))
        {
            normalized = null;
            problem = $"{Name.ToUpperInvariant()} is {HexLength} hex digits; got {PdqSignalType.Describe(text)}";
            return false;
        }

        normalized = text.ToString().ToLowerInvariant();
        problem = null;
        return true;
    }

    public override void ValidateThreshold(double threshold)
    {
        if (threshold != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"{Name} is matched exactly; its threshold is 0.");
        }
    }

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) =>
        new ExactSignalMatcher<TKey>(this, context.Column ?? throw new InvalidOperationException($"{Name} values are kept in a column."));
}

internal sealed class Md5SignalType : ExactHashSignalType<UInt128>
{
    public override string Name => "md5";

    public override int HexLength => 32;

    public override bool TryParseKey(ReadOnlySpan<char> hex, out UInt128 key) => HexKeys.TryParseMd5(hex, out key);

    public override UInt128 KeyFromBytes(ReadOnlySpan<byte> digest) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));

    public override string? GetQueryValue(FileSignals signals) => signals.Md5;
}

internal sealed class Sha1SignalType : ExactHashSignalType<Sha1Key>
{
    public override string Name => "sha1";

    public override int HexLength => 40;

    public override bool TryParseKey(ReadOnlySpan<char> hex, out Sha1Key key) => HexKeys.TryParseSha1(hex, out key);

    public override Sha1Key KeyFromBytes(ReadOnlySpan<byte> digest) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(digest), BinaryPrimitives.ReadUInt64BigEndian(digest[8..]), BinaryPrimitives.ReadUInt32BigEndian(digest[16..]));

    public override string? GetQueryValue(FileSignals signals) => signals.Sha1;
}

internal sealed class Sha256SignalType : ExactHashSignalType<Sha256Key>
{
    public override string Name => "sha256";

    public override int HexLength => 64;

    public override bool TryParseKey(ReadOnlySpan<char> hex, out Sha256Key key) => HexKeys.TryParseSha256(hex, out key);

    public override Sha256Key KeyFromBytes(ReadOnlySpan<byte> digest) =>
        new(
            BinaryPrimitives.ReadUInt64BigEndian(digest),
            BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));

    public override string? GetQueryValue(FileSignals signals) => signals.Sha256;
}

/// <summary>
/// Exact lookup over one list's <see cref="ValueColumn"/>: an open-addressing table (linear probing, at most half full)
/// of value numbers, whose keys are read from the column itself, so a digest is held once. The same digest may sit
/// twice in a list: each copy has its own cell and a lookup collects every cell with the key up to the first empty one.
/// About 8-16 bytes a value; no per-entry objects.
/// </summary>
internal sealed class ExactSignalMatcher<TKey>(ExactHashSignalType<TKey> type, ValueColumn column) : SignalMatcher
    where TKey : struct, IEquatable<TKey>
{
    private const int Empty = -1;
    private const int Deleted = -2;

    private int[] _table = NewTable(32);
    // Cells holding a value or a deletion mark (both lengthen probes).
    private int _used;
    private int _live;
    // During a bulk: the value rows told of, inserted at its end into a table sized once (no doubling rehashes).
    private bool _bulk;
    private int[] _pending = [];
    private int _pendingCount;

    /// <summary>Cells of the table (for tests and memory accounting).</summary>
    internal int TableLength => _table.Length;

    public override void Add(int slot, int valueRow, ReadOnlySpan<byte> value, bool enabled)
    {
        if (_bulk)
        {
            if (_pendingCount == _pending.Length)
            {
                Array.Resize(ref _pending, Math.Max(1024, _pendingCount * 2));
            }

            _pending[_pendingCount++] = valueRow;
            return;
        }

        Insert(type.KeyFromBytes(value), valueRow);
    }

    public override void BeginBulk() => _bulk = true;

    public override void EndBulk()
    {
        _bulk = false;
        FlushPending();
    }

    /// <summary>Inserts the values collected in a bulk, growing the table once for all of them.</summary>
    private void FlushPending()
    {
        if (_pendingCount == 0)
        {
            return;
        }

        if ((_used + _pendingCount) * 2 > _table.Length)
        {
            Rehash(_live + _pendingCount);
        }

        var words = column.Words;
        for (var i = 0; i < _pendingCount; i++)
        {
            Insert(KeyOf(words, _pending[i]), _pending[i]);
        }

        _pending = [];
        _pendingCount = 0;
    }

    private void Insert(TKey key, int valueRow)
    {
        if ((_used + 1) * 2 > _table.Length)
        {
            Rehash(_live + 1);
        }

        var mask = _table.Length - 1;
        var i = Home(key, mask);
        while (_table[i] >= 0)
        {
            i = (i + 1) & mask;
        }

        _used += _table[i] == Empty ? 1 : 0;
        _table[i] = valueRow;
        _live++;
    }

    public override void Remove(int slot, int valueRow)
    {
        // A value told of in this bulk is in the table once flushed; its removal then finds it.
        FlushPending();
        var words = column.Words;
        var key = KeyOf(words, valueRow);
        var mask = _table.Length - 1;
        for (var i = Home(key, mask); _table[i] != Empty; i = (i + 1) & mask)
        {
            if (_table[i] == valueRow)
            {
                _table[i] = Deleted;
                _live--;
                return;
            }
        }
    }

    // Enabled state is checked by the owner for every hit; nothing to do here.
    public override void SetEnabled(int slot, int valueRow, bool enabled)
    {
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
        var value = type.GetQueryValue(signals);
        if (value is null || !type.TryParseKey(value.AsSpan().Trim(), out var key))
        {
            return;
        }

        var table = _table;
        var words = column.Words;
        var rows = column.Rows;
        var mask = table.Length - 1;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            var cell = table[i];
            if (cell == Empty)
            {
                return;
            }

            if (cell >= 0 && KeyOf(words, cell).Equals(key))
            {
                hits.Add(new SignalHit(rows[cell], 0, Hashing.DihedralTransform.Original));
            }
        }
    }

    private TKey KeyOf(ulong[] words, int valueRow) =>
        type.KeyFromBytes(MemoryMarshal.AsBytes(words.AsSpan(valueRow * column.StrideWords, column.StrideWords)));

    private static int[] NewTable(int capacity)
    {
        var table = new int[capacity];
        Array.Fill(table, Empty);
        return table;
    }

    private static int Home(TKey key, int mask) => (int)((uint)key.GetHashCode() * 2654435769u) & mask;

    // Rebuilds the table at two to four times the live values (so at most half full), dropping deletion marks.
    private void Rehash(int live)
    {
        var old = _table;
        var capacity = 32;
        while (capacity < live * 2)
        {
            capacity *= 2;
        }

        var table = NewTable(capacity);
        var mask = capacity - 1;
        var words = column.Words;
        foreach (var cell in old)
        {
            if (cell < 0)
            {
                continue;
            }

            var i = Home(KeyOf(words, cell), mask);
            while (table[i] != Empty)
            {
                i = (i + 1) & mask;
            }

            table[i] = cell;
        }

        _table = table;
        _used = _live;
    }
}
