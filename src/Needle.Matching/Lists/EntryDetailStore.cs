namespace Needle.Matching.Lists;

/// <summary>
/// Where a list keeps what matching does not need (label, category, source, metadata, and values of variable length):
/// appended as byte records, read back by reference only for the entries asked for. Not thread-safe (the list locks).
/// </summary>
internal abstract class EntryDetailStore : IDisposable
{
    /// <summary>Appends a record and returns its reference.</summary>
    public abstract long Append(ReadOnlySpan<byte> record);

    /// <summary>The record appended under <paramref name="reference"/>.</summary>
    public abstract ReadOnlyMemory<byte> Read(long reference);

    /// <summary>
    /// A reader of the records appended so far that may be used without the list's lock (see
    /// <see cref="DetailRecordReader"/>); taken under it.
    /// </summary>
    public abstract DetailRecordReader OpenReader();

    /// <summary>Bytes held in memory.</summary>
    public abstract long MemoryBytes { get; }

    /// <summary>Releases the file, if any.</summary>
    public abstract void Dispose();
}
