using System.Text;
using System.Text.Json;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>
/// The hot path of the native format: one entry line as written by Needle (the fields it writes, each once, with their
/// usual types, a valid value) read straight from its characters with <see cref="Utf8JsonReader"/>, allocating only
/// what the entry keeps. Anything else returns null, and the caller reads the line the general way (which names the
/// problem, or reads the unusual line leniently), so the two never disagree on a line both take.
/// </summary>
internal sealed class NeedleEntryReader(int maxDepth)
{
    private const int Id = 1, Signal = 2, Value = 4, Label = 8, Category = 16, Source = 32, Enabled = 64, Metadata = 128;

    private readonly JsonReaderOptions _options = new() { MaxDepth = maxDepth };
    private byte[] _utf8 = new byte[1024];
    private char[] _value = new char[256];

    // Categories, sources, metadata keys and many of their values repeat from line to line: one string each.
    private readonly StringPool _pool = new();

    public HashListEntry? TryRead(ReadOnlySpan<char> line)
    {
        var max = Encoding.UTF8.GetMaxByteCount(line.Length);
        if (_utf8.Length < max)
        {
            _utf8 = new byte[max];
        }

        var length = Encoding.UTF8.GetBytes(line, _utf8);
        try
        {
            return Read(new Utf8JsonReader(_utf8.AsSpan(0, length), _options));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// As <see cref="TryRead(ReadOnlySpan{char})"/> for a line already in UTF-8 (valid UTF-8, checked by the caller):
    /// the mapped bytes of a file, read without decoding them to characters first.
    /// </summary>
    public HashListEntry? TryRead(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return Read(new Utf8JsonReader(utf8, _options));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private HashListEntry? Read(Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        var seen = 0;
        var id = 0;
        SignalType? type = null;
        var valueLength = 0;
        string? label = null, category = null, source = null;
        var enabled = true;
        Dictionary<string, string>? metadata = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field == 0 || (seen & field) != 0 || !reader.Read())
            {
                return null;
            }

            seen |= field;
            switch (field)
            {
                case Id:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out id) || id <= 0)
                    {
                        return null;
                    }

                    break;
                case Signal:
                    type = reader.TokenType == JsonTokenType.String ? TypeOf(ref reader) : null;
                    if (type is null)
                    {
                        return null;
                    }

                    break;
                case Value:
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return null;
                    }

                    var bytes = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
                    if (_value.Length < bytes)
                    {
                        _value = new char[bytes];
                    }

                    valueLength = reader.CopyString(_value);
                    break;
                case Label:
                case Category:
                case Source:
                    string? text;
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        text = Text(ref reader);
                    }
                    else if (reader.TokenType == JsonTokenType.Null)
                    {
                        text = null;
                    }
                    else
                    {
                        return null;
                    }

                    if (field == Label)
                    {
                        label = text;
                    }
                    else if (field == Category)
                    {
                        category = text;
                    }
                    else
                    {
                        source = text;
                    }

                    break;
                case Enabled:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return null;
                    }

                    enabled = reader.TokenType == JsonTokenType.True;
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return null;
                    }

                    metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var key = Text(ref reader);
                        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        {
                            return null;
                        }

                        metadata[key] = Text(ref reader);
                    }

                    if (reader.TokenType != JsonTokenType.EndObject)
                    {
                        return null;
                    }

                    break;
            }
        }

        // The object ends the line (nothing after it but white space: anything else throws, and the caller reads it).
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || type is null || (seen & Value) == 0)
        {
            return null;
        }

        var value = _value.AsSpan(0, valueLength);
        if (value.IsWhiteSpace() || type.CanNeverMatch(value, out _) || !type.TryNormalize(value, out var normalized, out _))
        {
            return null;
        }

        return new HashListEntry(type, normalized)
        {
            Id = id,
            Label = label,
            Category = category,
            Source = source,
            Enabled = enabled,
            Metadata = metadata ?? new Dictionary<string, string>(StringComparer.Ordinal),
        };
    }

    /// <summary>The current string token (or property name), pooled; the escaped rarity decoded as usual.</summary>
    private string Text(ref Utf8JsonReader reader) => reader.ValueIsEscaped || reader.HasValueSequence ? reader.GetString()! : _pool.Get(reader.ValueSpan);

    private static int FieldOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Id
        : reader.ValueTextEquals("signalType"u8) ? Signal
        : reader.ValueTextEquals("value"u8) ? Value
        : reader.ValueTextEquals("label"u8) ? Label
        : reader.ValueTextEquals("category"u8) ? Category
        : reader.ValueTextEquals("source"u8) ? Source
        : reader.ValueTextEquals("enabled"u8) ? Enabled
        : reader.ValueTextEquals("metadata"u8) ? Metadata
        : 0;

    private static SignalType? TypeOf(ref Utf8JsonReader reader)
    {
        foreach (var type in SignalTypes.All)
        {
            if (reader.ValueTextEquals(type.Name))
            {
                return type;
            }
        }

        return null;
    }
}
