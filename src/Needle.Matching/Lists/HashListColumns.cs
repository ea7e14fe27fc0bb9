namespace Needle.Matching.Lists;

/// <summary>
/// A list's live rows as columns, in row order: per row its id, type (an index into <see cref="Types"/>), enabled flag
/// and detail reference (-1: none); per type its fixed-width values back to back in the order of that type's rows.
/// </summary>
internal sealed record HashListColumns(
    IReadOnlyList<SignalType> Types,
    int[] Ids,
    byte[] TypeOf,
    bool[] Enabled,
    byte[][] Values,
    long[] DetailRefs,
    IReadOnlyDictionary<SignalType, double> Thresholds);
