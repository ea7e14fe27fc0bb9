using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
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

    internal override bool IsHexValue => true;

    internal override void EncodeValue(string canonical, Span<byte> destination) => PdqHash.Parse(canonical).WriteBigEndian(destination);

    internal override string DecodeValue(ReadOnlySpan<byte> source) => PdqHash.ReadBigEndian(source).ToString();

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new PdqSignalMatcher(context.PdqIndexFactory(), context);

    internal static string Describe(ReadOnlySpan<char> text) =>
        text.Length == 0 ? "an empty value" : $"{text.Length} characters '{(text.Length <= 40 ? text.ToString() : string.Concat(text[..37], "..."))}'";
}

/// <summary>
/// PDQ matching of one list delegated to an <see cref="IPdqIndex"/> whose entry ids are the list's rows; dihedral
/// queries keep the best transform per entry.
/// </summary>
/// <remarks>
/// When the factory makes a <see cref="MultiIndexHammingIndex"/> the index is built over the list's own
/// <see cref="ValueColumn"/> (its words are the hashes, its row numbers the ids), so the hashes are held once. The column
/// keeps PDQ values as big-endian bytes; the index reads them as little-endian words, a fixed permutation of the bits,
/// and queries are permuted the same way, so every Hamming distance is unchanged. Entries added one at a time go to the
/// index's delta; the matcher itself rebuilds the shared main segment from the column when the delta grows (the index's
/// own merge would copy), and once after a bulk load.
/// </remarks>
internal sealed class PdqSignalMatcher : SignalMatcher
{
    private readonly HashList _list;
    private readonly ValueColumn? _column;
    // Non-null when the index is built over the column.
    private readonly PdqIndexOptions? _shared;
    private readonly int? _mergeThreshold;
    private IPdqIndex _index;
    private bool _bulk;
    // Values of the column the matcher was told of, those in the index (main or delta) and those in the main segment.
    private int _known;
    private int _indexed;
    private int _main;

    public PdqSignalMatcher(IPdqIndex index, SignalMatcherContext context)
    {
        _list = context.List;
        _column = context.Column;
        _index = index;
        if (index is MultiIndexHammingIndex multiIndex && index.Count == 0 && _column is not null)
        {
            _mergeThreshold = multiIndex.Options.DeltaMergeThreshold;
            _shared = multiIndex.Options with { DeltaMergeThreshold = int.MaxValue };
            _index = MultiIndexHammingIndex.BuildShared([], [], 0, [], _shared);
        }
    }

    /// <summary>The index searched (for tests: whether it shares the list's column).</summary>
    internal IPdqIndex Index => _index;

    public override void Add(int slot, int valueRow, ReadOnlySpan<byte> value, bool enabled)
    {
        if (_shared is null)
        {
            _index.Add(slot, PdqHash.ReadBigEndian(value));
            if (!enabled)
            {
                _index.SetEnabled(slot, false);
            }

            return;
        }

        _known = Math.Max(_known, valueRow + 1);
        if (_bulk)
        {
            return;
        }

        _index.Add(slot, ColumnHash(value));
        if (!enabled)
        {
            _index.SetEnabled(slot, false);
        }

        _indexed = _known;
        if (((MultiIndexHammingIndex)_index).DeltaCount >= MergeThreshold())
        {
            Rebuild();
        }
    }

    // Entries collected in a bulk are not in the index yet (they are read from the list when it ends): nothing to do.
    public override void Remove(int slot, int valueRow) => _index.Remove(slot);

    public override void SetEnabled(int slot, int valueRow, bool enabled) => _index.SetEnabled(slot, enabled);

    public override void BeginBulk() => _bulk = _shared is not null;

    public override void EndBulk()
    {
        if (!_bulk)
        {
            return;
        }

        _bulk = false;
        var pending = _known - _indexed;
        if (pending == 0)
        {
            return;
        }

        // A large batch rebuilds the index once over the whole column; a small one goes through the delta.
        if (pending > Math.Max(4096, _main / 8))
        {
            Rebuild();
            return;
        }

        var column = _column!;
        for (var v = _indexed; v < _known; v++)
        {
            var row = column.RowOf(v);
            if (_list.IdAt(row) > 0)
            {
                _index.Add(row, ColumnHash(column.Get(v)));
                if (!_list.EnabledAt(row))
                {
                    _index.SetEnabled(row, false);
                }
            }
        }

        _indexed = _known;
        if (((MultiIndexHammingIndex)_index).DeltaCount >= MergeThreshold())
        {
            Rebuild();
        }
    }

    /// <summary>Builds the main segment over the column's first <see cref="_known"/> values, live as the list says.</summary>
    private void Rebuild()
    {
        var column = _column!;
        var words = column.Words;
        var rows = column.Rows;
        var count = _known;
        var live = new ulong[(count + 63) >> 6];
        for (var v = 0; v < count; v++)
        {
            var row = rows[v];
            if (_list.IdAt(row) > 0 && _list.EnabledAt(row))
            {
                live[v >> 6] |= 1UL << v;
            }
        }

        _index = MultiIndexHammingIndex.BuildShared(words, rows, count, live, _shared!);
        _main = _indexed = count;
    }

    private int MergeThreshold() => _mergeThreshold ?? Math.Clamp(_main / 32, 4096, 1 << 18);

    /// <summary>A hash as the index over the column holds it: its big-endian bytes read as little-endian words.</summary>
    private static PdqHash ColumnHash(ReadOnlySpan<byte> bigEndian) =>
        PdqHash.FromWords(MemoryMarshal.Cast<byte, ulong>(bigEndian[..32]));

    private PdqHash QueryHash(PdqHash hash)
    {
        if (_shared is null)
        {
            return hash;
        }

        Span<byte> bytes = stackalloc byte[32];
        hash.WriteBigEndian(bytes);
        return ColumnHash(bytes);
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
            _index.RangeSearch(QueryHash(single), radius, found);
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
            _index.RangeSearch(QueryHash(dihedral[t]), radius, scratch);
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
