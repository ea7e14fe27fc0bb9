namespace Needle.Application.Lists;

/// <summary>
/// A list file still being uploaded: the upload appends to the file and publishes how many bytes are on disk
/// (<see cref="Grow"/>), then marks it whole (<see cref="Complete"/>) or broken (<see cref="Fail"/>); an import reads it
/// as it grows (<see cref="OpenRead"/>), waiting for more bytes, so parsing overlaps the upload. A read past the
/// published end waits; after <see cref="Complete"/> it ends the stream; after <see cref="Fail"/> it throws
/// <see cref="IOException"/> with the reason (so the import fails and keeps nothing).
/// </summary>
public sealed class UploadSpool
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _length;
    private bool _complete;
    private string? _failure;

    // Replaced at each change: a reader blocks on the task (Task.Wait, which the thread pool sees as blocking and makes
    // up for with another thread, unlike Monitor.Wait: the parse runs on a pool thread, beside the upload's own work).
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A spool over <paramref name="path"/> (the file the upload writes; it must exist before a reader opens it).</summary>
    public UploadSpool(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    /// <summary>The file the upload writes.</summary>
    public string Path { get; }

    /// <summary>Bytes published so far.</summary>
    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>The first <paramref name="length"/> bytes are written (flushed to the file) and may be read.</summary>
    public void Grow(long length)
    {
        lock (_gate)
        {
            _length = Math.Max(_length, length);
        }

        Signal();
    }

    /// <summary>The upload ended: the file has all its <paramref name="length"/> bytes.</summary>
    public void Complete(long length)
    {
        lock (_gate)
        {
            _length = Math.Max(_length, length);
            _complete = true;
        }

        Signal();
    }

    /// <summary>The upload broke (client gone, too large...): readers fail with <paramref name="reason"/>.</summary>
    public void Fail(string reason)
    {
        lock (_gate)
        {
            _failure ??= reason;
        }

        Signal();
    }

    /// <summary>
    /// Completes when a reader first opened the file: an import opens it once its job is recorded, so from then on the
    /// job can be looked up.
    /// </summary>
    public Task Opened => _opened.Task;

    /// <summary>A new reader from the start of the file (not seekable; blocking reads wait for the upload).</summary>
    public Stream OpenRead()
    {
        var reader = new Reader(this, new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan));
        _opened.TrySetResult();
        return reader;
    }

    private void Signal()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>Waits until bytes past <paramref name="position"/> are published (returns the published length) or the upload ended.</summary>
    private long WaitBeyond(long position)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_failure is not null)
                {
                    throw new IOException(_failure);
                }

                if (_complete || _length > position)
                {
                    return _length;
                }

                changed = _changed.Task;
            }

            changed.Wait();
        }
    }

    private sealed class Reader(UploadSpool spool, FileStream file) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            var available = spool.WaitBeyond(_position) - _position;
            if (available <= 0)
            {
                return 0;
            }

            var read = file.Read(buffer[..(int)Math.Min(buffer.Length, available)]);
            _position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                file.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
