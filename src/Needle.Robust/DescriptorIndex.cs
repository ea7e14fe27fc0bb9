namespace Needle.Robust;

/// <summary>
/// Global descriptors held in one flat array and searched by a SIMD scan of dot products for the most similar few (a
/// shortlist for the geometric check). Adding is not thread-safe; searching is, once built.
/// </summary>
public sealed class DescriptorIndex
{
    private readonly int _dimension;
    private float[] _rows = [];
    private int _count;

    /// <summary>An empty index of <paramref name="dimension"/>-long descriptors.</summary>
    public DescriptorIndex(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        _dimension = dimension;
    }

    /// <summary>Descriptors held.</summary>
    public int Count => _count;

    /// <summary>Length of every descriptor.</summary>
    public int Dimension => _dimension;

    /// <summary>Adds an L2-normalised descriptor; returns its row number.</summary>
    public int Add(ReadOnlySpan<float> descriptor)
    {
        if (descriptor.Length != _dimension)
        {
            throw new ArgumentException($"The index holds descriptors of {_dimension} values, not {descriptor.Length}.", nameof(descriptor));
        }

        if ((_count + 1) * _dimension > _rows.Length)
        {
            Array.Resize(ref _rows, Math.Max(_dimension * 16, _rows.Length * 2));
        }

        descriptor.CopyTo(_rows.AsSpan(_count * _dimension));
        return _count++;
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
        var found = 0;
        var data = _rows.AsSpan(0, _count * _dimension);
        for (var r = 0; r < _count; r++)
        {
            var score = DescriptorKernel.Dot(data.Slice(r * _dimension, _dimension), query, useVectors);
            if (found == count && score <= similarities[found - 1])
            {
                continue;
            }

            // Insertion into the small sorted shortlist.
            var at = found < count ? found++ : found - 1;
            while (at > 0 && similarities[at - 1] < score)
            {
                similarities[at] = similarities[at - 1];
                rows[at] = rows[at - 1];
                at--;
            }

            similarities[at] = score;
            rows[at] = r;
        }

        return found;
    }
}
