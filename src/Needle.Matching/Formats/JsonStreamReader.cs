using System.Text;
using System.Text.Json;

namespace Needle.Matching.Formats;

/// <summary>
/// Walks a JSON stream token by token with a bounded buffer, and hands out one record at a time as a small
/// <see cref="JsonDocument"/>, so a list of millions of records is never held whole. Depth is capped.
/// </summary>
internal sealed class JsonStreamReader
{
    private readonly Stream _stream;
    private readonly ImportCollector _collector;
    private readonly int _maxBuffer;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _final;
    private bool _started;
    private JsonReaderState _state;

    public JsonStreamReader(Stream stream, ImportCollector collector)
    {
        _stream = stream;
        _collector = collector;
        _maxBuffer = Math.Max(collector.Options.MaxRecordBytes, 1024);
        _state = new JsonReaderState(new JsonReaderOptions { MaxDepth = collector.Options.MaxJsonDepth, CommentHandling = JsonCommentHandling.Skip });
    }

    public JsonTokenType TokenType { get; private set; }

    /// <summary>Depth of the current token (0 for the root value).</summary>
    public int CurrentDepth { get; private set; }

    /// <summary>Value of the current property name or string token.</summary>
    public string? StringValue { get; private set; }

    /// <summary>Advances one token; false at the end of the data.</summary>
    public bool Read()
    {
        while (true)
        {
            try
            {
                var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
                if (reader.Read())
                {
                    TokenType = reader.TokenType;
                    CurrentDepth = reader.CurrentDepth;
                    StringValue = TokenType is JsonTokenType.PropertyName or JsonTokenType.String ? reader.GetString() : null;
                    _start += (int)reader.BytesConsumed;
                    _state = reader.CurrentState;
                    return true;
                }

                if (_final && _started)
                {
                    return false;
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                throw _collector.Fatal($"invalid JSON: {e.Message}", e);
            }

            Fill();
        }
    }

    /// <summary>The type of the next token without consuming it (None at the end).</summary>
    public JsonTokenType Peek()
    {
        while (true)
        {
            try
            {
                var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
                if (reader.Read())
                {
                    return reader.TokenType;
                }

                if (_final && _started)
                {
                    return JsonTokenType.None;
                }
            }
            catch (JsonException e)
            {
                throw _collector.Fatal($"invalid JSON: {e.Message}", e);
            }

            Fill();
        }
    }

    /// <summary>Reads the next whole value (object, array or scalar) as a document the caller disposes.</summary>
    public JsonDocument ReadDocument()
    {
        while (true)
        {
            try
            {
                // A reader rebuilt from saved state still reports the previous token, so step onto the value's first
                // token explicitly before parsing it.
                var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _final, _state);
                if (reader.Read() && JsonDocument.TryParseValue(ref reader, out var document))
                {
                    _start += (int)reader.BytesConsumed;
                    _state = reader.CurrentState;
                    return document;
                }

                if (_final && _started)
                {
                    throw _collector.Fatal("invalid JSON: the data ends inside a value");
                }
            }
            catch (JsonException e)
            {
                throw _collector.Fatal($"invalid JSON: {e.Message}", e);
            }

            Fill();
        }
    }

    /// <summary>Skips the value that follows (after a property name or inside an array).</summary>
    public void SkipValue()
    {
        if (!Read())
        {
            throw _collector.Fatal("invalid JSON: the data ends inside a value");
        }

        if (TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            var depth = CurrentDepth;
            while (Read())
            {
                if (CurrentDepth == depth && TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    return;
                }
            }

            throw _collector.Fatal("invalid JSON: the data ends inside a value");
        }
    }

    private void Fill()
    {
        _started = true;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxBuffer)
            {
                throw _collector.Fatal($"a JSON record is larger than {_maxBuffer} bytes");
            }

            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _maxBuffer));
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _final = true;
        }

        var wasEmpty = _end == 0;
        _end += read;
        if (wasEmpty && _end >= 3 && _buffer.AsSpan(0, 3).SequenceEqual(Encoding.UTF8.Preamble))
        {
            _start = 3;
        }
    }
}

/// <summary>Helpers for reading record fields of a JsonElement leniently (numbers or strings, bools or "true").</summary>
internal static class JsonFields
{
    /// <summary>Finds a property by name, ignoring case (feeds differ in casing).</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>A scalar as text (strings as is, numbers and bools as written); null for null or missing; raw JSON for objects and arrays.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.GetRawText(),
    };

    public static string? GetText(JsonElement obj, string name) => TryGet(obj, name, out var value) ? AsText(value) : null;
}

/// <summary>Sniffing helpers shared by the detectors.</summary>
internal static class Sniff
{
    /// <summary>The head as text, without BOM and leading whitespace.</summary>
    public static string Text(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(Encoding.UTF8.Preamble))
        {
            head = head[3..];
        }

        return Encoding.UTF8.GetString(head).TrimStart();
    }

    public static bool HasExtension(string? fileName, string extension) =>
        fileName is not null && fileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>The first lines of the head that are neither blank nor comments; the last (possibly cut) line is dropped.</summary>
    public static List<string> ContentLines(string text, int max)
    {
        var lines = new List<string>();
        var all = text.Split('\n');
        for (var i = 0; i < all.Length - 1 && lines.Count < max; i++)
        {
            var line = all[i].Trim();
            if (line.Length > 0 && line[0] != '#')
            {
                lines.Add(line);
            }
        }

        if (lines.Count == 0 && all.Length > 0 && all[^1].Trim() is { Length: > 0 } last && last[0] != '#')
        {
            lines.Add(last);
        }

        return lines;
    }
}
