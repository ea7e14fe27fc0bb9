using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace Needle.Matching.Formats;

/// <summary>
/// Reads lines as <see cref="BoundedLineReader"/> does (strict UTF-8, a length cap in characters, NUL and invalid bytes
/// fatal, a trailing CR dropped), but hands each line out as its UTF-8 bytes, checked and not decoded: the native
/// format's parser reads UTF-8, so a line is never turned into characters and back. A UTF-16/32 byte order mark sends
/// the file through <see cref="BoundedLineReader"/> (its lines transcoded to UTF-8 once each); a UTF-8 one is skipped.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly ImportCollector _collector;
    private readonly int _maxLength;

    // More bytes than this and the line has more than _maxLength characters whatever they are (3 bytes at most per
    // UTF-16 character): it is skipped from then on, not held.
    private readonly long _maxBytes;
    private readonly Decoder _skipped = StrictUtf8.GetDecoder();
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _scanned;
    private int _end;
    private bool _eof;
    private bool _started;
    private BoundedLineReader? _other;
    private byte[] _transcoded = [];
    private readonly char[] _scratch = new char[4096];
    private int _lineNumber;

    public Utf8LineReader(Stream stream, ImportCollector collector)
    {
        _stream = stream;
        _collector = collector;
        _maxLength = collector.Options.MaxLineLength;
        _maxBytes = (3L * _maxLength) + 3;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public int LineNumber => _other?.LineNumber ?? _lineNumber;

    /// <summary>
    /// Next line without its terminator, as UTF-8 valid until the next call; <paramref name="tooLong"/> when it has
    /// more than the allowed characters (then it is empty, and was skipped).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadLine(out ReadOnlySpan<byte> line, out bool tooLong)
    {
        if (!_started)
        {
            Start();
        }

        if (_other is not null)
        {
            return TryReadOther(out line, out tooLong);
        }

        tooLong = false;
        while (true)
        {
            var newline = _buffer.AsSpan(_scanned, _end - _scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var end = _scanned + newline;
                var found = _buffer.AsSpan(_start, end - _start);
                _start = _scanned = end + 1;
                line = Finish(found, out tooLong);
                return true;
            }

            _scanned = _end;
            if (_eof)
            {
                if (_start == _end)
                {
                    line = default;
                    return false;
                }

                var rest = _buffer.AsSpan(_start, _end - _start);
                _start = _scanned = _end;
                line = Finish(rest, out tooLong);
                return true;
            }

            if (_end - _start > _maxBytes)
            {
                line = default;
                tooLong = true;
                return SkipRest();
            }

            Fill();
        }
    }

    public void Dispose() => _other?.Dispose();

    /// <summary>A whole line in the buffer: checked, counted, its CR dropped, its length checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> Finish(ReadOnlySpan<byte> line, out bool tooLong)
    {
        Check(line);
        _lineNumber++;

        // Counted with its CR, as the character reader counts. A character is at least one byte: only a line of more
        // bytes than the cap can have too many characters.
        tooLong = line.Length > _maxLength && Encoding.UTF8.GetCharCount(line) > _maxLength;
        if (tooLong)
        {
            return default;
        }

        return line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;
    }

    private void Check(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Contains((byte)0))
        {
            throw _collector.Fatal($"line {_lineNumber + 1} contains a NUL character: the file is binary or UTF-16 without a byte order mark");
        }

        if (!Utf8.IsValid(bytes))
        {
            throw _collector.Fatal($"invalid UTF-8 after line {_lineNumber}");
        }
    }

    /// <summary>Past a line too long to hold: its bytes are still checked (NUL, UTF-8) up to its end.</summary>
    private bool SkipRest()
    {
        _skipped.Reset();
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf((byte)'\n');
            var piece = newline >= 0 ? span[..newline] : span;
            if (piece.Contains((byte)0))
            {
                throw _collector.Fatal($"line {_lineNumber + 1} contains a NUL character: the file is binary or UTF-16 without a byte order mark");
            }

            try
            {
                // Decoded (into a scratch that is not kept) so the decoder carries a character split between reads.
                var flush = newline >= 0 || _eof;
                do
                {
                    _skipped.Convert(piece, _scratch, flush, out var used, out _, out _);
                    piece = piece[used..];
                }
                while (!piece.IsEmpty);
            }
            catch (DecoderFallbackException e)
            {
                throw _collector.Fatal($"invalid UTF-8 after line {_lineNumber}", e);
            }

            if (newline >= 0)
            {
                _start = _scanned = _start + newline + 1;
                _lineNumber++;
                return true;
            }

            _start = _scanned = _end;
            if (_eof)
            {
                _lineNumber++;
                return true;
            }

            Fill();
        }
    }

    /// <summary>Reads more after the unread bytes (moved to the front; the buffer grows for a line longer than it).</summary>
    private void Fill()
    {
        if (_start > 0)
        {
            var unread = _end - _start;
            _buffer.AsSpan(_start, unread).CopyTo(_buffer);
            _scanned -= _start;
            _end = unread;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }

    /// <summary>The first bytes: a UTF-8 byte order mark is dropped; a UTF-16/32 one hands the file to the character reader.</summary>
    private void Start()
    {
        _started = true;
        while (_end < 4 && !_eof)
        {
            Fill();
        }

        var head = _buffer.AsSpan(0, _end);
        if (head.StartsWith("\uFEFF"u8))
        {
            _start = _scanned = 3;
        }
        else if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            _other = new BoundedLineReader(new PrefixedStream(_buffer.AsSpan(0, _end).ToArray(), _stream), _collector);
        }
    }

    private bool TryReadOther(out ReadOnlySpan<byte> line, out bool tooLong)
    {
        if (!_other!.TryReadLineChars(out var chars, out tooLong))
        {
            line = default;
            return false;
        }

        var max = Encoding.UTF8.GetMaxByteCount(chars.Length);
        if (_transcoded.Length < max)
        {
            _transcoded = new byte[max];
        }

        line = _transcoded.AsSpan(0, Encoding.UTF8.GetBytes(chars, _transcoded));
        return true;
    }

    /// <summary>Bytes already read, then the rest of the stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }

            return rest.Read(buffer);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
