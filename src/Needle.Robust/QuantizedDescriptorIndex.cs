namespace Needle.Robust;

/// <summary>
/// Global descriptors held compactly for a shortlist that pays at large counts: an int8 copy of each (one scale per
/// row) scanned with <see cref="QuantizedDescriptorKernel"/> for a wider shortlist, which is re-ranked by the exact
/// dot product over a half-precision copy (the precision lists store). 1.5 KiB plus 4 bytes per 512-value descriptor,
/// against 2 KiB for <see cref="DescriptorIndex"/>, and a quarter of its memory traffic per scan. Adding is not
/// thread-safe; searching is, once built.
/// </summary>
public sealed class QuantizedDescriptorIndex
{
    /// <summary>How many times the requested count the int8 scan keeps for the exact re-ranking.</summary>
    public const int Widening = 4;

    // A wide margin over the int8 rounding: the re-ranking decides, the scan only must not drop a true top row.
    private const int MinimumCandidates = 32;

    private readonly int _dimension;
    private sbyte[] _codes = [];
    private float[] _scales = [];
    private Half[] _exact = [];
    private int _count;

    /// <summary>An empty index of <paramref name="dimension"/>-long descriptors.</summary>
    public QuantizedDescriptorIndex(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, Needle.Matching.Lists.RobustFeatures.MaxDescriptorLength);
        _dimension = dimension;
    }

    /// <summary>Descriptors held.</summary>
    public int Count => _count;

    /// <summary>Length of every descriptor.</summary>
    public int Dimension => _dimension;

    /// <summary>Bytes held per descriptor (int8 code, its scale and the half-precision copy).</summary>
    public int BytesPerDescriptor => _dimension + sizeof(float) + (_dimension * 2);

    /// <summary>Adds an L2-normalised descriptor; returns its row number.</summary>
    public int Add(ReadOnlySpan<float> descriptor)
    {
        if (descriptor.Length != _dimension)
        {
            throw new ArgumentException($"The index holds descriptors of {_dimension} values, not {descriptor.Length}.", nameof(descriptor));
        }

        if (_count == _scales.Length)
        {
            var capacity = Math.Max(16, _scales.Length * 2);
            Array.Resize(ref _scales, capacity);
            Array.Resize(ref _codes, capacity * _dimension);
            Array.Resize(ref _exact, capacity * _dimension);
        }

        _scales[_count] = QuantizedDescriptorKernel.Quantize(descriptor, _codes.AsSpan(_count * _dimension, _dimension));
        var exact = _exact.AsSpan(_count * _dimension, _dimension);
        for (var i = 0; i < descriptor.Length; i++)
        {
            exact[i] = (Half)descriptor[i];
        }

        return _count++;
    }

    /// <summary>The exact descriptor of row <paramref name="row"/> (as held: half precision) written to <paramref name="destination"/>.</summary>
    public void CopyTo(int row, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, _count);
        var exact = _exact.AsSpan(row * _dimension, _dimension);
        for (var i = 0; i < exact.Length; i++)
        {
            destination[i] = (float)exact[i];
        }
    }

    /// <summary>
    /// The <paramref name="count"/> rows most similar to <paramref name="query"/> (cosine, for normalised vectors), best
    /// first, written to <paramref name="rows"/> and <paramref name="similarities"/>; returns how many were written.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int count, Span<int> rows, Span<float> similarities, bool useVectors = true)
    {
        if (query.Length != _dimension)
        {
            throw new ArgumentException($"The query has {query.Length} values, not {_dimension}.", nameof(query));
        }

        count = Math.Min(count, Math.Min(rows.Length, similarities.Length));
        if (count <= 0 || _count == 0)
        {
            return 0;
        }

        // The query as int16 (the kernel's other operand); its own scale is common to every row, so it is left out.
        var codes = new sbyte[_dimension];
        QuantizedDescriptorKernel.Quantize(query, codes);
        var wideQuery = new short[_dimension];
        for (var i = 0; i < codes.Length; i++)
        {
            wideQuery[i] = codes[i];
        }

        var wide = Math.Min(_count, Math.Max(MinimumCandidates, count * Widening));
        var candidates = new int[wide];
        var approximate = new float[wide];
        var found = 0;
        var data = _codes.AsSpan(0, _count * _dimension);
        for (var r = 0; r < _count; r++)
        {
            var score = QuantizedDescriptorKernel.Dot(data.Slice(r * _dimension, _dimension), wideQuery, useVectors) * _scales[r];
            Insert(candidates, approximate, ref found, wide, r, score);
        }

        // Exact re-ranking of the wide shortlist.
        var exactQuery = query;
        var row = new float[_dimension];
        var kept = 0;
        for (var i = 0; i < found; i++)
        {
            CopyTo(candidates[i], row);
            Insert(rows, similarities, ref kept, count, candidates[i], DescriptorKernel.Dot(row, exactQuery, useVectors));
        }

        return kept;
    }

    // Insertion into a small list sorted best first, keeping at most `capacity`.
    private static void Insert(Span<int> rows, Span<float> scores, ref int found, int capacity, int row, float score)
    {
        if (found == capacity && score <= scores[found - 1])
        {
            return;
        }

        var at = found < capacity ? found++ : found - 1;
        while (at > 0 && scores[at - 1] < score)
        {
            scores[at] = scores[at - 1];
            rows[at] = rows[at - 1];
            at--;
        }

        scores[at] = score;
        rows[at] = row;
    }
}
