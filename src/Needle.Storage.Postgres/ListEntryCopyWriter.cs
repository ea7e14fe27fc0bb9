using System.Buffers.Binary;
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Storage.Postgres;

/// <summary>
/// Writes list entries straight in PostgreSQL's binary COPY format (the signature and header, per row a field count
/// and each field as its length then its bytes, a trailer) for <c>COPY list_entries (list_id, id, signal, value, label,
/// category, source, enabled, metadata) FROM STDIN (FORMAT BINARY)</c>, from the rows' UTF-8 bytes into one reused
/// buffer: no per-field call into the driver, no string. PostgreSQL's receive functions still check each field (a
/// text's encoding, the JSON of a jsonb), as for any COPY.
/// </summary>
internal sealed class ListEntryCopyWriter : IDisposable
{
    private const short FieldCount = 9;
    private const byte JsonbVersion = 1;
    private const int FlushBytes = 1 << 16;

    /// <summary>"PGCOPY", newline, 0xFF, carriage return, newline, NUL.</summary>
    private static ReadOnlySpan<byte> Signature => [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00];

    private readonly Stream _copy;
    private readonly long _listId;
    private readonly MetadataJsonWriter _metadataJson = new();
    private byte[] _buffer = new byte[FlushBytes * 2];
    private int _used;
    private SignalType? _lastType;
    private byte[] _typeName = [];

    /// <summary>Starts the stream (signature, no flags, no header extension) for rows of list <paramref name="listId"/>.</summary>
    public ListEntryCopyWriter(Stream copy, long listId)
    {
        _copy = copy;
        _listId = listId;
        Signature.CopyTo(Reserve(Signature.Length));
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), 0);
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), 0);
    }

    /// <summary>Appends one row with entry id <paramref name="id"/>; writes the buffer out once it holds enough.</summary>
    public void Write(ImportRow row, int id)
    {
        if (!ReferenceEquals(row.SignalType, _lastType))
        {
            _lastType = row.SignalType;
            _typeName = Encoding.UTF8.GetBytes(_lastType.Name);
        }

        BinaryPrimitives.WriteInt16BigEndian(Reserve(2), FieldCount);
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), 8);
        BinaryPrimitives.WriteInt64BigEndian(Reserve(8), _listId);
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), 4);
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), id);
        Field(_typeName);
        Field(row.Value);
        FieldOrNull(row.Label, row.HasLabel);
        FieldOrNull(row.Category, row.HasCategory);
        FieldOrNull(row.Source, row.HasSource);
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), 1);
        Reserve(1)[0] = row.Enabled ? (byte)1 : (byte)0;
        if (row.MetadataCount > 0)
        {
            var json = _metadataJson.Write(row);
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), json.Length + 1);
            Reserve(1)[0] = JsonbVersion;
            json.CopyTo(Reserve(json.Length));
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), -1);
        }

        if (_used >= FlushBytes)
        {
            _copy.Write(_buffer, 0, _used);
            _used = 0;
        }
    }

    /// <summary>Writes the trailer and whatever is buffered (the caller then ends the COPY).</summary>
    public void Finish()
    {
        BinaryPrimitives.WriteInt16BigEndian(Reserve(2), -1);
        _copy.Write(_buffer, 0, _used);
        _used = 0;
    }

    public void Dispose() => _metadataJson.Dispose();

    private void FieldOrNull(ReadOnlySpan<byte> utf8, bool present)
    {
        if (present)
        {
            Field(utf8);
        }
        else
        {
            BinaryPrimitives.WriteInt32BigEndian(Reserve(4), -1);
        }
    }

    private void Field(ReadOnlySpan<byte> utf8)
    {
        BinaryPrimitives.WriteInt32BigEndian(Reserve(4), utf8.Length);
        utf8.CopyTo(Reserve(utf8.Length));
    }

    private Span<byte> Reserve(int length)
    {
        if (_buffer.Length - _used < length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _used + length));
        }

        var span = _buffer.AsSpan(_used, length);
        _used += length;
        return span;
    }
}
