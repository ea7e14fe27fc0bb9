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
    private readonly StringBuilder _line = new();
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
        _line.Clear();
        tooLong = false;
        var sawAny = false;
        while (true)
        {
            if (_position == _length && !Fill())
            {
                line = _line.ToString();
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

            if (!tooLong)
            {
                if (_line.Length + chunk.Length > _maxLength)
                {
                    tooLong = true;
                }
                else
                {
                    _line.Append(chunk);
                }
            }

            _position += chunk.Length;
            if (newline >= 0)
            {
                _position++;
                LineNumber++;
                if (_line.Length > 0 && _line[^1] == '\r')
                {
                    _line.Length--;
                }

                line = tooLong ? string.Empty : _line.ToString();
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
