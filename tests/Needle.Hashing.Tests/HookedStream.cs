namespace Needle.Hashing.Tests;

/// <summary>A read-only seekable stream over bytes that runs <c>beforeRead</c> before every read and counts what is read.</summary>
internal sealed class HookedStream(byte[] bytes, Action<int> beforeRead, bool canSeek = true) : Stream
{
    private readonly MemoryStream _inner = new(bytes, writable: false);

    public int ReadCalls { get; private set; }

    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => canSeek;

    public override bool CanWrite => false;

    public override long Length => canSeek ? _inner.Length : throw new NotSupportedException();

    public override long Position
    {
        get => canSeek ? _inner.Position : throw new NotSupportedException();
        set => _inner.Position = canSeek ? value : throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        beforeRead(++ReadCalls);
        var read = _inner.Read(buffer);
        BytesRead += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override long Seek(long offset, SeekOrigin origin) => canSeek ? _inner.Seek(offset, origin) : throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
