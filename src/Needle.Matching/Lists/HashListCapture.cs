namespace Needle.Matching.Lists;

/// <summary>
/// A consistent copy of a list's columns taken by <see cref="HashListSnapshotFile.Capture"/>, to be written later by
/// <see cref="HashListSnapshotFile.Write(string, HashListCapture, HashListSnapshotInfo)"/> without holding up changes
/// to the list in between (the entries' details are read from the list while writing; they never change).
/// </summary>
public sealed class HashListCapture
{
    internal HashListCapture(HashList list, HashListColumns columns)
    {
        List = list;
        Columns = columns;
    }

    /// <summary>Number of entries captured.</summary>
    public int Count => Columns.Ids.Length;

    internal HashList List { get; }

    internal HashListColumns Columns { get; }
}
