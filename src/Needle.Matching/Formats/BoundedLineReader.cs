using System.Text;

namespace Needle.Matching.Formats;

/// <summary>
/// Reads lines of strict UTF-8 (a BOM may select UTF-16/32) with a length cap, so a file without newlines cannot
/// exhaust memory. Invalid bytes and NUL characters (binary, or UTF-16 without BOM) fail the import cleanly.
/// </summary>
internal sealed class BoundedLineReader : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly StreamReader _reader;
    private readonly ImportCollector _collector;
    private readonly int _maxLength;
    private readonly char[] _buffer = new char[16 * 1024];
    private char[] _line = new char[256];
    private int _lineLength;
    private int _position;
    private int _length;

    public BoundedLineReader(Stream stream, ImportCollector collector)
    {
        _reader = new StreamReader(stream, StrictUtf8, detectEncodingFromByteOrderMarks: true, bufferSize: 16 * 1024, leaveOpen: true);
        _collector = collector;
        _maxLength = collector.Options.MaxLineLength;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>Next line without its terminator; <paramref name="tooLong"/> when it was cut (the rest is skipped).</summary>
    public bool TryReadLine(out string line, out bool tooLong)
    {
        var read = TryReadLineChars(out var chars, out tooLong);
        line = read && !tooLong ? chars.ToString() : string.Empty;
        return read;
    }

    /// <summary>
    /// Next line as <see cref="TryReadLine(out string, out bool)"/> reads it, without making a string: the characters
    /// are valid until the next call (a line wholly in the read buffer is not even copied).
    /// </summary>
    public bool TryReadLineChars(out ReadOnlySpan<char> line, out bool tooLong)
    {
        _lineLength = 0;
        tooLong = false;
        var sawAny = false;
        while (true)
        {
            if (_position == _length && !Fill())
            {
                line = tooLong ? default : _line.AsSpan(0, _lineLength);
                if (sawAny)
                {
                    LineNumber++;
                }

                return sawAny;
            }

            sawAny = true;
            var span = _buffer.AsSpan(_position, _length - _position);
            var newline = span.IndexOf('\n');
            var chunk = newline >= 0 ? span[..newline] : span;
            if (chunk.Contains('\0'))
            {
                throw _collector.Fatal($"line {LineNumber + 1} contains a NUL character: the file is binary or UTF-16 without a byte order mark");
            }

            if (newline >= 0 && _lineLength == 0 && !tooLong)
            {
                // The whole line is in the buffer: handed out in place.
                _position += newline + 1;
                LineNumber++;
                tooLong = chunk.Length > _maxLength;
                line = tooLong ? default : chunk.Length > 0 && chunk[^1] == '\r' ? chunk[..^1] : chunk;
                return true;
            }

            if (!tooLong)
            {
                if (_lineLength + chunk.Length > _maxLength)
                {
                    tooLong = true;
                }
                else
                {
                    if (_lineLength + chunk.Length > _line.Length)
                    {
                        Array.Resize(ref _line, Math.Min(Math.Max(_line.Length * 2, _lineLength + chunk.Length), Math.Max(_maxLength, _lineLength + chunk.Length)));
                    }

                    chunk.CopyTo(_line.AsSpan(_lineLength));
                    _lineLength += chunk.Length;
                }
            }

            _position += chunk.Length;
            if (newline >= 0)
            {
                _position++;
                LineNumber++;
                if (_lineLength > 0 && _line[_lineLength - 1] == '\r')
                {
                    _lineLength--;
                }

                line = tooLong ? default : _line.AsSpan(0, _lineLength);
                return true;
            }
        }
    }

    private bool Fill()
    {
        try
        {
            _length = _reader.Read(_buffer, 0, _buffer.Length);
        }
        catch (DecoderFallbackException e)
        {
            throw _collector.Fatal($"invalid UTF-8 after line {LineNumber}", e);
        }

        _position = 0;
        return _length > 0;
    }

    public void Dispose() => _reader.Dispose();
}
