using System.Buffers;
using System.Text;
using System.Text.Json;
using Needle.Core.Serialization;
using Needle.Matching.Lists;

namespace Needle.Storage.Relational;

/// <summary>
/// A list entry's metadata as stored (<see cref="StoredRows.MetadataJson"/>: the same JSON, text for text), written
/// with one reused buffer and writer instead of the serializer for each of an import's millions of rows. One per import.
/// </summary>
internal sealed class MetadataJsonWriter : IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;

    public MetadataJsonWriter() =>
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = DocumentJson.Options.Encoder, SkipValidation = true });

    /// <summary>The entry's metadata as a JSON object of strings; null when it has none.</summary>
    public string? Write(HashListEntry entry)
    {
        var metadata = entry.Metadata;
        if (metadata.Count == 0)
        {
            return null;
        }

        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        if (metadata is Dictionary<string, string> dictionary)
        {
            // The concrete type's enumerator, not a boxed one per row.
            foreach (var (key, value) in dictionary)
            {
                _writer.WriteString(key, value);
            }
        }
        else
        {
            foreach (var (key, value) in metadata)
            {
                _writer.WriteString(key, value);
            }
        }

        _writer.WriteEndObject();
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    /// <summary>
    /// The row's metadata as <see cref="Write(HashListEntry)"/> writes the same pairs, as UTF-8 (valid until the next
    /// call); empty when it has none.
    /// </summary>
    public ReadOnlySpan<byte> Write(ImportRow row)
    {
        if (row.MetadataCount == 0)
        {
            return default;
        }

        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        for (var i = 0; i < row.MetadataCount; i++)
        {
            _writer.WriteString(row.MetadataKey(i), row.MetadataValue(i));
        }

        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan;
    }

    public void Dispose() => _writer.Dispose();
}
