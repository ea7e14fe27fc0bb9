namespace Needle.Matching.Lists;

/// <summary>
/// Detail records in a temporary file that has no name once opened (gone when the process ends): memory holds only the
/// 8-byte reference per entry, and a match reads its one record back. Appends go through a small write buffer.
/// </summary>
internal sealed class FileDetailStore : EntryDetailStore
{
    private const int BufferSize = 1 << 16;

    private readonly FileStream _file;
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _buffered;
    private long _length;

    public FileDetailStore(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"needle-details-{Guid.NewGuid():N}.tmp");

        // Finalizers do not run at process exit, so a file deleted on close would outlive every list not disposed.
        // Where the system allows it the name is removed at once (the open handle keeps the data until the process
        // ends, however it ends); on Windows the system deletes the file when the last handle closes.
        var windows = OperatingSystem.IsWindows();
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, windows ? FileOptions.DeleteOnClose | FileOptions.RandomAccess : FileOptions.RandomAccess);
        if (!windows)
        {
            File.Delete(path);
        }
    }

    public override long MemoryBytes => _buffer.Length;

    public override long Append(ReadOnlySpan<byte> record)
    {
        var reference = _length + _buffered;
        Span<byte> prefix = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(prefix, record.Length);
        Write(prefix);
        Write(record);
        return reference;
    }

    public override ReadOnlyMemory<byte> Read(long reference)
    {
        Flush();
        Span<byte> prefix = stackalloc byte[sizeof(int)];
        RandomAccess.Read(_file.SafeFileHandle, prefix, reference);
        var record = new byte[BitConverter.ToInt32(prefix)];
        var read = 0;
        while (read < record.Length)
        {
            var n = RandomAccess.Read(_file.SafeFileHandle, record.AsSpan(read), reference + sizeof(int) + read);
            if (n == 0)
            {
                throw new EndOfStreamException($"The list's detail file '{_file.Name}' ended inside a record.");
            }

            read += n;
        }

        return record;
    }

    public override DetailRecordReader OpenReader()
    {
        // Flushed, the records so far are in the file; later appends write past them.
        Flush();
        return DetailRecordReader.OfFile(_file.SafeFileHandle, 0, _length, $"the list's detail file '{_file.Name}'");
    }

    public override void Dispose() => _file.Dispose();

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (_buffered + bytes.Length > _buffer.Length)
        {
            Flush();
            if (bytes.Length > _buffer.Length)
            {
                RandomAccess.Write(_file.SafeFileHandle, bytes, _length);
                _length += bytes.Length;
                return;
            }
        }

        bytes.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += bytes.Length;
    }

    private void Flush()
    {
        if (_buffered == 0)
        {
            return;
        }

        RandomAccess.Write(_file.SafeFileHandle, _buffer.AsSpan(0, _buffered), _length);
        _length += _buffered;
        _buffered = 0;
    }
}
