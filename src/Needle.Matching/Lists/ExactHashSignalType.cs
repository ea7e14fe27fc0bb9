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

    public override string? GetQueryValue(FileSignals signals) => signals.Md5;
}

internal sealed class Sha1SignalType : ExactHashSignalType<Sha1Key>
{
    public override string Name => "sha1";

    public override int HexLength => 40;

    public override bool TryParseKey(ReadOnlySpan<char> hex, out Sha1Key key) => HexKeys.TryParseSha1(hex, out key);

    public override string? GetQueryValue(FileSignals signals) => signals.Sha1;
}

internal sealed class Sha256SignalType : ExactHashSignalType<Sha256Key>
{
    public override string Name => "sha256";

    public override int HexLength => 64;

    public override bool TryParseKey(ReadOnlySpan<char> hex, out Sha256Key key) => HexKeys.TryParseSha256(hex, out key);

    public override string? GetQueryValue(FileSignals signals) => signals.Sha256;
}

/// <summary>Exact lookup: key to the slots holding it (the same digest may sit in several lists).</summary>
internal sealed class ExactSignalMatcher<TKey>(ExactHashSignalType<TKey> type) : SignalMatcher
    where TKey : struct, IEquatable<TKey>
{
    private readonly Dictionary<TKey, List<int>> _slotsByKey = [];
    private readonly Dictionary<int, TKey> _keyBySlot = [];

    public override void Add(int slot, HashListEntry entry)
    {
        if (!type.TryParseKey(entry.Value, out var key))
        {
            throw new ArgumentException($"Invalid {type.Name} value '{entry.Value}'.", nameof(entry));
        }

        if (!_slotsByKey.TryGetValue(key, out var slots))
        {
            slots = new List<int>(1);
            _slotsByKey.Add(key, slots);
        }

        slots.Add(slot);
        _keyBySlot.Add(slot, key);
    }

    public override void Remove(int slot)
    {
        if (_keyBySlot.Remove(slot, out var key) && _slotsByKey.TryGetValue(key, out var slots))
        {
            slots.Remove(slot);
            if (slots.Count == 0)
            {
                _slotsByKey.Remove(key);
            }
        }
    }

    // Enabled state is checked by the owner for every hit; nothing to do here.
    public override void SetEnabled(int slot, bool enabled)
    {
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
        var value = type.GetQueryValue(signals);
        if (value is null || !type.TryParseKey(value.AsSpan().Trim(), out var key) || !_slotsByKey.TryGetValue(key, out var slots))
        {
            return;
        }

        foreach (var slot in slots)
        {
            hits.Add(new SignalHit(slot, 0, Hashing.DihedralTransform.Original));
        }
    }
}
