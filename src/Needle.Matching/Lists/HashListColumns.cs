namespace Needle.Matching.Lists;

/// <summary>
/// A list's live rows as columns, in row order: per row its id, type (an index into <see cref="Types"/>), enabled flag
/// and detail reference (-1: none); per type its fixed-width values back to back in the order of that type's rows
/// (in <see cref="Values"/>, or, for a type in <see cref="ValueWords"/>, already in the 8-byte words a
/// <see cref="ValueColumn"/> holds, so a list read from a snapshot takes them over without a copy).
/// </summary>
internal sealed record HashListColumns(
    IReadOnlyList<SignalType> Types,
    int[] Ids,
    byte[] TypeOf,
    bool[] Enabled,
    byte[][] Values,
    long[] DetailRefs,
    IReadOnlyDictionary<SignalType, double> Thresholds)
{
    /// <summary>Per type, null or its values as <see cref="ValueColumn"/> words, exactly as many as the values need (then its <see cref="Values"/> entry is empty).</summary>
    public ulong[]?[]? ValueWords { get; init; }

    /// <summary>Number of values of type <paramref name="t"/>.</summary>
    public long ValueCount(int t)
    {
        var width = Types[t].ValueBytes;
        if (width == 0)
        {
            return 0;
        }

        return ValueWords?[t] is { } words ? words.LongLength / ((width + 7) / 8) : Values[t].LongLength / width;
    }
}
