using SkiaSharp;

namespace Needle.Hashing.Decoding;

/// <summary>
/// A read-only Skia stream over either bytes in memory or a seekable .NET stream, that stops supplying data once its
/// <see cref="DecodeGuard"/> trips. Skia then sees end of input and returns, so a slow or cancelled decode really
/// stops instead of running on in native code.
/// </summary>
/// <remarks>
/// Callbacks come from native code; they must never throw, so failures are reported as "no more data".
/// Duplicating and forking are refused (no codec Needle uses needs them).
/// </remarks>
internal sealed unsafe class GuardedSkiaStream : SKAbstractManagedStream
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly Stream? _stream;
    private readonly long _origin;
    private readonly long _length;
    private readonly DecodeGuard _guard;
    private long _position;

    /// <summary>Reads from <paramref name="memory"/>.</summary>
    public GuardedSkiaStream(ReadOnlyMemory<byte> memory, DecodeGuard guard)
    {
        _memory = memory;
        _length = memory.Length;
        _guard = guard;
    }

    /// <summary>Reads <paramref name="length"/> bytes of a seekable <paramref name="stream"/> from its current position; does not own it.</summary>
    public GuardedSkiaStream(Stream stream, long length, DecodeGuard guard)
    {
        _stream = stream;
        _origin = stream.Position;
        _length = length;
        _guard = guard;
    }

    /// <summary>Bytes of the image.</summary>
    public long ImageLength => _length;

    /// <summary>The bytes when they are in memory; null when read from a stream.</summary>
    public ReadOnlyMemory<byte>? Memory => _stream is null ? _memory : default(ReadOnlyMemory<byte>?);

    /// <summary>Copies bytes at <paramref name="offset"/> (from the image's start) without moving the stream position; for header checks.</summary>
    public int CopyAt(long offset, Span<byte> destination)
    {
        if (offset < 0 || offset >= _length || destination.IsEmpty)
        {
            return 0;
        }

        var count = (int)Math.Min(destination.Length, _length - offset);
        if (_stream is null)
        {
            _memory.Span.Slice((int)offset, count).CopyTo(destination);
            return count;
        }

        try
        {
            _stream.Position = _origin + offset;
            return _stream.ReadAtLeast(destination[..count], count, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException)
        {
            ReadError = e;
            return 0;
        }
    }

    /// <summary>Set when reading from the underlying .NET stream failed (an I/O error, not bad image data).</summary>
    public Exception? ReadError { get; private set; }

    protected override IntPtr OnRead(IntPtr buffer, IntPtr size)
    {
        var count = ReadAt(_position, buffer, (long)size);
        _position += count;
        return checked((IntPtr)count);
    }

    protected override IntPtr OnPeek(IntPtr buffer, IntPtr size) => checked((IntPtr)ReadAt(_position, buffer, (long)size));

    protected override bool OnIsAtEnd() => _position >= _length || _guard.Stop != DecodeStop.None;

    protected override bool OnHasPosition() => true;

    protected override bool OnHasLength() => true;

    protected override bool OnRewind()
    {
        _position = 0;
        return true;
    }

    protected override IntPtr OnGetPosition() => checked((IntPtr)_position);

    protected override IntPtr OnGetLength() => checked((IntPtr)_length);

    protected override bool OnSeek(IntPtr position)
    {
        // SkStream semantics: seeking past the end leaves the stream at the end.
        _position = Math.Clamp((long)position, 0, _length);
        return true;
    }

    protected override bool OnMove(int offset)
    {
        _position = Math.Clamp(_position + offset, 0, _length);
        return true;
    }

    protected override IntPtr OnCreateNew() => IntPtr.Zero;

    protected override IntPtr OnDuplicate() => IntPtr.Zero;

    protected override IntPtr OnFork() => IntPtr.Zero;

    /// <summary>Copies up to <paramref name="size"/> bytes at <paramref name="position"/> into native memory (or just counts them when <paramref name="buffer"/> is null: a skip).</summary>
    private long ReadAt(long position, IntPtr buffer, long size)
    {
        if (size <= 0 || position >= _length || _guard.ShouldStop() || ReadError is not null)
        {
            return 0;
        }

        var count = (int)Math.Min(Math.Min(size, _length - position), int.MaxValue);
        if (_stream is null)
        {
            if (buffer != IntPtr.Zero)
            {
                _memory.Span.Slice((int)position, count).CopyTo(new Span<byte>((void*)buffer, count));
            }

            return count;
        }

        if (buffer == IntPtr.Zero)
        {
            return count;
        }

        try
        {
            _stream.Position = _origin + position;

            // Skia treats a short read as the end of the data, so fill the request unless the stream really ends.
            var read = _stream.ReadAtLeast(new Span<byte>((void*)buffer, count), count, throwOnEndOfStream: false);
            return read;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException or UnauthorizedAccessException)
        {
            ReadError = e;
            return 0;
        }
    }
}
