using Microsoft.Win32.SafeHandles;

namespace Needle.Matching.Lists;

/// <summary>
/// The details of a list loaded from a snapshot file: records present at load are read from the snapshot's detail
/// section (the file stays open, so replacing the snapshot later does not disturb it); records appended afterwards go
/// to a second store. A reference with <see cref="TailFlag"/> set is the second store's.
/// </summary>
internal sealed class OverlayDetailStore(SafeFileHandle file, long start, long length, EntryDetailStore tail) : EntryDetailStore
{
    private const long TailFlag = 1L << 62;

    public override long MemoryBytes => tail.MemoryBytes;

    public override long Append(ReadOnlySpan<byte> record) => tail.Append(record) | TailFlag;

    public override ReadOnlyMemory<byte> Read(long reference)
    {
        if ((reference & TailFlag) != 0)
        {
            return tail.Read(reference & ~TailFlag);
        }

        Span<byte> prefix = stackalloc byte[sizeof(int)];
        if (reference < 0 || reference + sizeof(int) > length || RandomAccess.Read(file, prefix, start + reference) != sizeof(int))
        {
            throw new InvalidDataException($"Detail reference {reference} lies outside the snapshot's {length}-byte detail section.");
        }

        var size = BitConverter.ToInt32(prefix);
        if (size < 0 || reference + sizeof(int) + size > length)
        {
            throw new InvalidDataException($"The detail record at {reference} of the snapshot runs past its detail section.");
        }

        var record = new byte[size];
        var read = 0;
        while (read < size)
        {
            var n = RandomAccess.Read(file, record.AsSpan(read), start + reference + sizeof(int) + read);
            if (n == 0)
            {
                throw new EndOfStreamException("The snapshot file ended inside a detail record.");
            }

            read += n;
        }

        return record;
    }

    public override DetailRecordReader OpenReader() =>
        new Reader(DetailRecordReader.OfFile(file, start, length, "the list's snapshot"), tail.OpenReader());

    public override void Dispose()
    {
        file.Dispose();
        tail.Dispose();
    }

    /// <summary>Reads the snapshot's records and the tail's, each through its own reader.</summary>
    private sealed class Reader(DetailRecordReader snapshot, DetailRecordReader tail) : DetailRecordReader
    {
        public override ReadOnlySpan<byte> Read(long reference) =>
            (reference & TailFlag) != 0 ? tail.Read(reference & ~TailFlag) : snapshot.Read(reference);
    }
}
