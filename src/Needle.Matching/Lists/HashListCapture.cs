namespace Needle.Matching.Lists;

/// <summary>
/// A consistent copy of a list's columns taken by <see cref="HashListSnapshotFile.Capture"/>, to be written later by
/// <see cref="HashListSnapshotFile.Write(string, HashListCapture, HashListSnapshotInfo)"/> without holding up changes
/// to the list in between (the entries' details are read from the list's detail store while writing, without its lock; they never change).
/// </summary>
public sealed class HashListCapture
{
    internal HashListCapture(HashList list, HashListColumns columns, DetailRecordReader details)
    {
        List = list;
        Columns = columns;
        Details = details;
    }

    /// <summary>Number of entries captured.</summary>
    public int Count => Columns.Ids.Length;

    internal HashList List { get; }

    internal HashListColumns Columns { get; }

    /// <summary>Reads the captured entries' detail records (taken after the columns, so it sees all of them).</summary>
    internal DetailRecordReader Details { get; }
}
