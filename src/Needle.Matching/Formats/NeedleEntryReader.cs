using System.Runtime.CompilerServices;
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
    private char[] _value = new char[256];
    private readonly byte[] _hex = new byte[512];
    private readonly byte[] _binary = new byte[256];
    private readonly System.Buffers.ArrayBufferWriter<byte> _pending = new(1024);

    // Categories, sources, metadata keys and many of their values repeat from line to line: one string each.
    private readonly StringPool _pool = new();

    /// <summary>
    /// One entry line, as UTF-8 bytes (valid UTF-8, checked by the caller), read into an entry: null for anything the
    /// fast way does not take as it is.
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

    /// <summary>
    /// One entry line, as UTF-8 bytes, read straight into <paramref name="row"/> with no string, entry object or
    /// dictionary: the lines <see cref="TryRead(ReadOnlySpan{byte})"/> takes whose value is plain hex of its type and
    /// whose metadata keys are distinct. False for anything else (the row is then unspecified), and the caller reads
    /// the line the other ways, so both give the same row for a line this takes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryRead(ReadOnlySpan<byte> line, ImportRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        try
        {
            return Read(new Utf8JsonReader(line, _options), row);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // An escape that is no text (a lone surrogate): the other ways name it.
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Read(Utf8JsonReader reader, ImportRow row)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        // The value and the metadata are kept until the type is known (row.Reset needs it); texts go in as read.
        var seen = 0;
        var id = 0;
        SignalType? type = null;
        var enabled = true;
        var valueLength = 0;
        _pending.ResetWrittenCount();
        var metadataStart = -1;
        var textsAt = new TextSpans();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field == 0 || (seen & field) != 0 || !reader.Read())
            {
                return false;
            }

            seen |= field;
            switch (field)
            {
                case Id:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out id) || id <= 0)
                    {
                        return false;
                    }

                    break;
                case Signal:
                    type = reader.TokenType == JsonTokenType.String ? TypeOf(ref reader) : null;
                    if (type is null)
                    {
                        return false;
                    }

                    break;
                case Value:
                    // Plain hex only (no escapes, no padding): anything else takes the other ways.
                    if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > _hex.Length)
                    {
                        return false;
                    }

                    valueLength = reader.ValueSpan.Length;
                    reader.ValueSpan.CopyTo(_hex);
                    break;
                case Label:
                case Category:
                case Source:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        textsAt.Set(field, Pend(ref reader));
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        return false;
                    }

                    break;
                case Enabled:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return false;
                    }

                    enabled = reader.TokenType == JsonTokenType.True;
                    break;
                default:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return false;
                    }

                    metadataStart = _pending.WrittenCount;
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        Pend(ref reader);
                        if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                        {
                            return false;
                        }

                        Pend(ref reader);
                    }

                    if (reader.TokenType != JsonTokenType.EndObject)
                    {
                        return false;
                    }

                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || type is null || (seen & Value) == 0 || !type.IsHexValue)
        {
            return false;
        }

        // The general way trims and takes either case; plain lowercased hex of the right length is what it keeps.
        var width = type.ValueBytes;
        var hex = _hex.AsSpan(0, valueLength);
        if (valueLength != width * 2)
        {
            return false;
        }

        for (var i = 0; i < hex.Length; i++)
        {
            var c = hex[i];
            if (c is >= (byte)'A' and <= (byte)'F')
            {
                hex[i] = (byte)(c | 0x20);
            }
        }

        row.Reset(type);
        if (!ImportRow.TryDecodeHex(hex, _binary.AsSpan(0, width)) || (type == SignalTypes.Pdq && !_binary.AsSpan(0, width).ContainsAnyExcept((byte)0)))
        {
            // Not hex, or the all-zero PDQ hash (a warning the general way gives).
            return false;
        }

        row.Id = id;
        row.Enabled = enabled;
        row.SetDecodedHexValue(hex, _binary);
        var pending = _pending.WrittenSpan;
        if (textsAt.Label >= 0)
        {
            row.SetLabel(PendingAt(pending, textsAt.Label));
        }

        if (textsAt.Category >= 0)
        {
            row.SetCategory(PendingAt(pending, textsAt.Category));
        }

        if (textsAt.Source >= 0)
        {
            row.SetSource(PendingAt(pending, textsAt.Source));
        }

        if (metadataStart >= 0)
        {
            var at = metadataStart;
            while (at < pending.Length)
            {
                var key = PendingAt(pending, at);
                at += 4 + key.Length;
                var value = PendingAt(pending, at);
                at += 4 + value.Length;
                if (!row.TryAddMetadata(key, value))
                {
                    // A repeated key: the general way keeps its first place with the last value.
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The current string token, unescaped, appended to the pending bytes (length first); returns where it starts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Pend(ref Utf8JsonReader reader)
    {
        var at = _pending.WrittenCount;
        var max = reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length;
        var span = _pending.GetSpan(4 + max);
        int length;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            reader.ValueSpan.CopyTo(span[4..]);
            length = reader.ValueSpan.Length;
        }
        else
        {
            length = reader.CopyString(span[4..]);
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span, length);
        _pending.Advance(4 + length);
        return at;
    }

    private static ReadOnlySpan<byte> PendingAt(ReadOnlySpan<byte> pending, int at) =>
        pending.Slice(at + 4, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(pending[at..]));

    /// <summary>Where the label, category and source start in the pending bytes (-1: absent or null).</summary>
    private struct TextSpans
    {
        public TextSpans()
        {
        }

        public int Label { get; private set; } = -1;

        public int Category { get; private set; } = -1;

        public int Source { get; private set; } = -1;

        public void Set(int field, int at)
        {
            if (field == NeedleEntryReader.Label)
            {
                Label = at;
            }
            else if (field == NeedleEntryReader.Category)
            {
                Category = at;
            }
            else
            {
                Source = at;
            }
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
