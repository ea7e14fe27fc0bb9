using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

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

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new ExactSignalMatcher<TKey>(this);
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
/// Exact lookup over dense slots: the keys in one array, an open-addressing table of the first slot holding each key,
/// and a chain to the next slot with the same key (the same digest may sit in several lists or twice in one). About
/// key size + 12 bytes a slot; no per-entry objects.
/// </summary>
internal sealed class ExactSignalMatcher<TKey>(ExactHashSignalType<TKey> type) : SignalMatcher
    where TKey : struct, IEquatable<TKey>
{
    private const int Empty = -1;
    private const int Deleted = -2;

    private TKey[] _keys = new TKey[16];
    private int[] _next = new int[16];
    private bool[] _live = new bool[16];
    private int[] _table = NewTable(32);
    private int _used;
    private int _tableUsed;

    public override void Add(int slot, ReadOnlySpan<byte> value)
    {
        if (slot >= _keys.Length)
        {
            var capacity = Math.Max(slot + 1, _keys.Length * 2);
            Array.Resize(ref _keys, capacity);
            Array.Resize(ref _next, capacity);
            Array.Resize(ref _live, capacity);
        }

        if ((_tableUsed + 1) * 2 > _table.Length)
        {
            Rehash();
        }

        var key = type.KeyFromBytes(value);
        _keys[slot] = key;
        _live[slot] = true;
        _used = Math.Max(_used, slot + 1);
        var mask = _table.Length - 1;
        var insertAt = -1;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            var head = _table[i];
            if (head == Empty)
            {
                if (insertAt < 0)
                {
                    insertAt = i;
                    _tableUsed++;
                }

                _next[slot] = Empty;
                _table[insertAt] = slot;
                return;
            }

            if (head == Deleted)
            {
                insertAt = insertAt < 0 ? i : insertAt;
                continue;
            }

            if (_keys[head].Equals(key))
            {
                _next[slot] = head;
                _table[i] = slot;
                return;
            }
        }
    }

    public override void Remove(int slot)
    {
        if (slot >= _used || !_live[slot])
        {
            return;
        }

        _live[slot] = false;
        var key = _keys[slot];
        var mask = _table.Length - 1;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            var head = _table[i];
            if (head == Empty)
            {
                return;
            }

            if (head == Deleted || !_keys[head].Equals(key))
            {
                continue;
            }

            if (head == slot)
            {
                _table[i] = _next[slot] == Empty ? Deleted : _next[slot];
                return;
            }

            for (var s = head; _next[s] != Empty; s = _next[s])
            {
                if (_next[s] == slot)
                {
                    _next[s] = _next[slot];
                    return;
                }
            }

            return;
        }
    }

    // Enabled state is checked by the owner for every hit; nothing to do here.
    public override void SetEnabled(int slot, bool enabled)
    {
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
        var value = type.GetQueryValue(signals);
        if (value is null || !type.TryParseKey(value.AsSpan().Trim(), out var key))
        {
            return;
        }

        var mask = _table.Length - 1;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            var head = _table[i];
            if (head == Empty)
            {
                return;
            }

            if (head != Deleted && _keys[head].Equals(key))
            {
                for (var s = head; s != Empty; s = _next[s])
                {
                    hits.Add(new SignalHit(s, 0, Hashing.DihedralTransform.Original));
                }

                return;
            }
        }
    }

    private static int[] NewTable(int capacity)
    {
        var table = new int[capacity];
        Array.Fill(table, Empty);
        return table;
    }

    private static int Home(TKey key, int mask) => (int)((uint)key.GetHashCode() * 2654435769u) & mask;

    // Rebuilds the table at twice the live keys (at least), dropping deleted marks; chains are kept as they are.
    private void Rehash()
    {
        var old = _table;
        var heads = 0;
        foreach (var head in old)
        {
            heads += head >= 0 ? 1 : 0;
        }

        var capacity = 32;
        while (capacity < (heads + 1) * 4)
        {
            capacity *= 2;
        }

        _table = NewTable(capacity);
        _tableUsed = heads;
        var mask = capacity - 1;
        foreach (var head in old)
        {
            if (head < 0)
            {
                continue;
            }

            var i = Home(_keys[head], mask);
            while (_table[i] != Empty)
            {
                i = (i + 1) & mask;
            }

            _table[i] = head;
        }
    }
}
