using System.Diagnostics.CodeAnalysis;
using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// Meta PDQ: 64 hex digits, compared by Hamming distance. Default threshold 31 (Meta's recommendation).
/// The all-zero hash is not a valid value: the reference prints it for images too small to hash, and it would match
/// unrelated degenerate images. List readers skip it with a warning (<see cref="CanNeverMatch"/>).
/// </summary>
internal sealed class PdqSignalType : SignalType
{
    public const int DefaultPdqThreshold = 31;

    public override string Name => "pdq";

    public override SignalComparison Comparison => SignalComparison.Hamming;

    public override double DefaultThreshold => DefaultPdqThreshold;

    public override bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        text = text.Trim();
        normalized = null;
        if (text.Length != PdqHash.HexLength || !HexKeys.IsHex(text) || !PdqHash.TryParse(text, out var hash))
        {
            problem = $"a PDQ hash is {PdqHash.HexLength} hex digits; got {Describe(text)}";
            return false;
        }

        if (hash == PdqHash.Zero)
        {
            problem = "the all-zero PDQ hash marks an image too small to hash and would match unrelated images";
            return false;
        }

        normalized = hash.ToString();
        problem = null;
        return true;
    }

    public override bool CanNeverMatch(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? reason)
    {
        text = text.Trim();
        if (text.Length == PdqHash.HexLength && HexKeys.IsHex(text) && PdqHash.TryParse(text, out var hash) && hash == PdqHash.Zero)
        {
            reason = "the all-zero PDQ hash of an image too small to hash (quality 0) can never match; skipped";
            return true;
        }

        reason = null;
        return false;
    }

    public override void ValidateThreshold(double threshold)
    {
        if (threshold is < 0 or > PdqHash.Bits || threshold != Math.Floor(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A PDQ threshold is a whole number of bits from 0 to 256.");
        }
    }

    internal override int ValueBytes => PdqHash.Bits / 8;

    internal override void EncodeValue(string canonical, Span<byte> destination) => PdqHash.Parse(canonical).WriteBigEndian(destination);

    internal override string DecodeValue(ReadOnlySpan<byte> source) => PdqHash.ReadBigEndian(source).ToString();

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new PdqSignalMatcher(context.PdqIndexFactory());

    internal static string Describe(ReadOnlySpan<char> text) =>
        text.Length == 0 ? "an empty value" : $"{text.Length} characters '{(text.Length <= 40 ? text.ToString() : string.Concat(text[..37], "..."))}'";
}

/// <summary>PDQ matching delegated to an <see cref="IPdqIndex"/>; dihedral queries keep the best transform per entry.</summary>
internal sealed class PdqSignalMatcher(IPdqIndex index) : SignalMatcher
{
    private IPdqIndex _index = index;

    private const byte Live = 0;
    private const byte Disabled = 1;
    private const byte Gone = 2;

    // While bulk loading: the values of slots _bulkStart.. (slots are dense) and their state.
    private PdqHash[]? _bulkHashes;
    private byte[]? _bulkState;
    private int _bulkStart;
    private int _bulkCount;
    private int _nextSlot;

    public override void Add(int slot, ReadOnlySpan<byte> value)
    {
        var hash = PdqHash.ReadBigEndian(value);
        _nextSlot = Math.Max(_nextSlot, slot + 1);
        if (_bulkHashes is null)
        {
            _index.Add(slot, hash);
            return;
        }

        var at = slot - _bulkStart;
        if (at >= _bulkHashes.Length)
        {
            Array.Resize(ref _bulkHashes, Math.Max(at + 1, _bulkHashes.Length * 2));
            Array.Resize(ref _bulkState, _bulkHashes.Length);
        }

        _bulkHashes[at] = hash;
        _bulkState![at] = Live;
        _bulkCount = Math.Max(_bulkCount, at + 1);
    }

    public override void Remove(int slot)
    {
        if (_bulkState is null || slot < _bulkStart)
        {
            _index.Remove(slot);
        }
        else if (slot - _bulkStart < _bulkCount)
        {
            _bulkState[slot - _bulkStart] = Gone;
        }
    }

    public override void SetEnabled(int slot, bool enabled)
    {
        if (_bulkState is null || slot < _bulkStart)
        {
            _index.SetEnabled(slot, enabled);
        }
        else if (slot - _bulkStart < _bulkCount && _bulkState[slot - _bulkStart] != Gone)
        {
            _bulkState[slot - _bulkStart] = enabled ? Live : Disabled;
        }
    }

    public override void BeginBulk()
    {
        _bulkHashes = new PdqHash[1024];
        _bulkState = new byte[1024];
        _bulkStart = _nextSlot;
        _bulkCount = 0;
    }

    public override void EndBulk()
    {
        if (_bulkHashes is null || _bulkState is null)
        {
            return;
        }

        var hashes = _bulkHashes;
        var state = _bulkState;
        _bulkHashes = null;
        _bulkState = null;
        var live = 0;
        for (var s = 0; s < _bulkCount; s++)
        {
            live += state[s] == Gone ? 0 : 1;
        }

        // A large batch rebuilds the index once from what it holds plus the batch (added one by one, the index would
        // merge its tables again every 1/32 of growth); a small one goes through the delta.
        if (_index is MultiIndexHammingIndex multiIndex && live > Math.Max(4096, multiIndex.Count / 8))
        {
            var current = multiIndex.ExportData();
            var total = current.Count + live;
            var ids = new int[total];
            var words = new ulong[total * PdqHash.WordCount];
            var enabled = new ulong[(total + 63) / 64];
            current.Ids.CopyTo(ids, 0);
            current.HashWords.CopyTo(words, 0);
            current.EnabledBits.CopyTo(enabled, 0);
            var n = current.Count;
            for (var s = 0; s < _bulkCount; s++)
            {
                if (state[s] == Gone)
                {
                    continue;
                }

                ids[n] = _bulkStart + s;
                hashes[s].CopyTo(words.AsSpan(n * PdqHash.WordCount, PdqHash.WordCount));
                enabled[n >> 6] |= state[s] == Live ? 1UL << n : 0;
                n++;
            }

            _index = MultiIndexHammingIndex.BuildFrom(new PdqIndexData(ids, words, enabled), multiIndex.Options);
            return;
        }

        for (var s = 0; s < _bulkCount; s++)
        {
            if (state[s] != Gone)
            {
                _index.Add(_bulkStart + s, hashes[s]);
            }
        }

        for (var s = 0; s < _bulkCount; s++)
        {
            if (state[s] == Disabled)
            {
                _index.SetEnabled(_bulkStart + s, false);
            }
        }
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
        var radius = (int)Math.Floor(maxDistance);
        var dihedral = signals.PdqDihedral;
        if (dihedral is null)
        {
            if (signals.Pdq is not { } single)
            {
                return;
            }

            var found = new List<HammingHit>();
            _index.RangeSearch(single, radius, found);
            foreach (var hit in found)
            {
                hits.Add(new SignalHit(hit.EntryId, hit.Distance, DihedralTransform.Original));
            }

            return;
        }

        // Per entry keep the smallest distance; transforms are visited in enum order and only a strictly smaller
        // distance replaces, so ties go to the lower transform.
        var best = new Dictionary<int, (int Distance, DihedralTransform Transform)>();
        var scratch = new List<HammingHit>();
        for (var t = 0; t < dihedral.Count; t++)
        {
            scratch.Clear();
            _index.RangeSearch(dihedral[t], radius, scratch);
            foreach (var hit in scratch)
            {
                if (!best.TryGetValue(hit.EntryId, out var current) || hit.Distance < current.Distance)
                {
                    best[hit.EntryId] = (hit.Distance, (DihedralTransform)t);
                }
            }
        }

        foreach (var (slot, value) in best)
        {
            hits.Add(new SignalHit(slot, value.Distance, value.Transform));
        }
    }
}
