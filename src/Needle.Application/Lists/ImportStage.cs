using System.Runtime.CompilerServices;
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>
/// The entries of an import as the store was handed them, in order, written once to a temporary file (sequentially,
/// through a large buffer) and read back once, sequentially, when the import commits: the importing node applies what
/// it parsed without reading the store back, and holds no entry objects meanwhile.
/// </summary>
internal sealed class ImportStage : IDisposable
{
    private const int BufferSize = 1 << 20;
    private const byte HasLabel = 1, HasCategory = 2, HasSource = 4, IsEnabled = 8;

    private readonly FileStream _file;

    private byte[] _bytes = new byte[256];
    private byte[] _key = new byte[256];

    public ImportStage(string? directory)
    {
        directory ??= Path.GetTempPath();
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"needle-import-{Guid.NewGuid():N}.tmp");
        // A process killed mid-import runs no cleanup: where the system allows it the name goes at once (the open
        // handle keeps the data until closed); on Windows the system deletes the file when the handle closes.
        var windows = OperatingSystem.IsWindows();
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, BufferSize, windows ? FileOptions.DeleteOnClose | FileOptions.SequentialScan : FileOptions.SequentialScan);
        if (!windows)
        {
            File.Delete(path);
        }
    }

    /// <summary>Entries staged so far.</summary>
    public int Count { get; private set; }

    /// <summary>Stages <paramref name="count"/> rows packed by <see cref="Encode"/>, in one write.</summary>
    public void Append(ReadOnlySpan<byte> rows, int count)
    {
        _file.Write(rows);
        Count += count;
    }

    /// <summary>
    /// Packs the row's bytes as they are (type, flags, value, texts, metadata pairs) at <paramref name="used"/>,
    /// growing <paramref name="buffer"/> when they do not fit; <paramref name="used"/> moves past them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Encode(ImportRow row, ref byte[] buffer, ref int used)
    {
        // At most 5 bytes for each length or count.
        var most = 2 + 5 + row.Value.Length + 15 + row.Label.Length + row.Category.Length + row.Source.Length + 5;
        for (var i = 0; i < row.MetadataCount; i++)
        {
            most += 10 + row.MetadataKey(i).Length + row.MetadataValue(i).Length;
        }

        if (buffer.Length - used < most)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, used + most));
        }

        var span = buffer.AsSpan();
        span[used++] = TypeIndex(row.SignalType);
        span[used++] = (byte)((row.HasLabel ? HasLabel : 0) | (row.HasCategory ? HasCategory : 0) | (row.HasSource ? HasSource : 0) | (row.Enabled ? IsEnabled : 0));
        Put(span, ref used, row.Value);
        if (row.HasLabel)
        {
            Put(span, ref used, row.Label);
        }

        if (row.HasCategory)
        {
            Put(span, ref used, row.Category);
        }

        if (row.HasSource)
        {
            Put(span, ref used, row.Source);
        }

        PutCount(span, ref used, row.MetadataCount);
        for (var i = 0; i < row.MetadataCount; i++)
        {
            Put(span, ref used, row.MetadataKey(i));
            Put(span, ref used, row.MetadataValue(i));
        }
    }

    /// <summary>One row packed by <see cref="Encode"/> at <paramref name="at"/> into <paramref name="row"/> (id 0); <paramref name="at"/> moves past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Decode(ReadOnlySpan<byte> bytes, ref int at, ImportRow row)
    {
        var type = bytes[at++];
        if (type >= SignalTypes.All.Count)
        {
            throw new InvalidDataException($"The import stage holds the unknown signal type {type}.");
        }

        row.Reset(SignalTypes.All[type]);
        var flags = bytes[at++];
        row.SetCanonicalValue(Take(bytes, ref at));
        if ((flags & HasLabel) != 0)
        {
            row.SetLabel(Take(bytes, ref at));
        }

        if ((flags & HasCategory) != 0)
        {
            row.SetCategory(Take(bytes, ref at));
        }

        if ((flags & HasSource) != 0)
        {
            row.SetSource(Take(bytes, ref at));
        }

        var pairs = TakeCount(bytes, ref at);
        for (var p = 0; p < pairs; p++)
        {
            var key = Take(bytes, ref at);
            if (!row.TryAddMetadata(key, Take(bytes, ref at)))
            {
                throw new InvalidDataException("The import stage holds a repeated metadata key.");
            }
        }

        row.Enabled = (flags & IsEnabled) != 0;
    }

    /// <summary>
    /// The staged entries in order, with ids <paramref name="firstId"/>, <paramref name="firstId"/> + 1, ..., in one
    /// reused row (valid until the next is read); read once.
    /// </summary>
    public IEnumerable<ImportRow> Read(int firstId)
    {
        _file.Position = 0;
        using var reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
        var row = new ImportRow();
        for (var i = 0; i < Count; i++)
        {
            var type = reader.ReadByte();
            if (type >= SignalTypes.All.Count)
            {
                throw new InvalidDataException($"The import stage holds the unknown signal type {type}.");
            }

            row.Reset(SignalTypes.All[type]);
            var flags = reader.ReadByte();
            row.SetCanonicalValue(ReadText(reader));
            if ((flags & HasLabel) != 0)
            {
                row.SetLabel(ReadText(reader));
            }

            if ((flags & HasCategory) != 0)
            {
                row.SetCategory(ReadText(reader));
            }

            if ((flags & HasSource) != 0)
            {
                row.SetSource(ReadText(reader));
            }

            var pairs = reader.Read7BitEncodedInt();
            for (var p = 0; p < pairs; p++)
            {
                // Two texts held at once: the key is copied out of the scratch before the value is read into it.
                var keyLength = ReadInto(reader, ref _key);
                if (!row.TryAddMetadata(_key.AsSpan(0, keyLength), ReadText(reader)))
                {
                    throw new InvalidDataException("The import stage holds a repeated metadata key.");
                }
            }

            row.Id = firstId + i;
            row.Enabled = (flags & IsEnabled) != 0;
            yield return row;
        }
    }

    public void Dispose() => _file.Dispose();

    private static byte TypeIndex(SignalType type)
    {
        for (var i = 0; i < SignalTypes.All.Count; i++)
        {
            if (ReferenceEquals(SignalTypes.All[i], type))
            {
                return (byte)i;
            }
        }

        throw new InvalidOperationException($"The signal type '{type.Name}' is not one of the built-in types.");
    }

    /// <summary>A text: its length (7 bits a byte, as <see cref="BinaryWriter.Write7BitEncodedInt"/>), then its bytes.</summary>
    private static void Put(Span<byte> span, ref int used, ReadOnlySpan<byte> utf8)
    {
        PutCount(span, ref used, utf8.Length);
        utf8.CopyTo(span[used..]);
        used += utf8.Length;
    }

    private static void PutCount(Span<byte> span, ref int used, int value)
    {
        var v = (uint)value;
        while (v >= 0x80)
        {
            span[used++] = (byte)(v | 0x80);
            v >>= 7;
        }

        span[used++] = (byte)v;
    }

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> bytes, ref int at)
    {
        var length = TakeCount(bytes, ref at);
        var text = bytes.Slice(at, length);
        at += length;
        return text;
    }

    private static int TakeCount(ReadOnlySpan<byte> bytes, ref int at)
    {
        var value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[at++];
            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }

    /// <summary>A text as <see cref="Put"/> wrote it (its length, then its bytes), in the scratch buffer.</summary>
    private ReadOnlySpan<byte> ReadText(BinaryReader reader)
    {
        // The length first: reading may replace the buffer with a larger one (a robust value is tens of kilobytes).
        var length = ReadInto(reader, ref _bytes);
        return _bytes.AsSpan(0, length);
    }

    private int ReadInto(BinaryReader reader, ref byte[] buffer)
    {
        var length = reader.Read7BitEncodedInt();
        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }

        // The reader reads byte by byte from the file's buffer, so reading the bytes from the file directly keeps the place.
        _file.ReadExactly(buffer, 0, length);
        return length;
    }
}
