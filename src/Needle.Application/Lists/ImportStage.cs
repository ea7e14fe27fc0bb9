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
    private readonly BinaryWriter _writer;

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

        _writer = new BinaryWriter(_file, Encoding.UTF8, leaveOpen: true);
    }

    /// <summary>Entries staged so far.</summary>
    public int Count { get; private set; }

    /// <summary>Stages the row's bytes as they are (type, flags, value, texts, metadata pairs).</summary>
    public void Add(ImportRow row)
    {
        var type = TypeIndex(row.SignalType);
        var flags = (byte)((row.HasLabel ? HasLabel : 0) | (row.HasCategory ? HasCategory : 0) | (row.HasSource ? HasSource : 0) | (row.Enabled ? IsEnabled : 0));
        _writer.Write(type);
        _writer.Write(flags);
        WriteText(row.Value);
        if (row.HasLabel)
        {
            WriteText(row.Label);
        }

        if (row.HasCategory)
        {
            WriteText(row.Category);
        }

        if (row.HasSource)
        {
            WriteText(row.Source);
        }

        _writer.Write7BitEncodedInt(row.MetadataCount);
        for (var i = 0; i < row.MetadataCount; i++)
        {
            WriteText(row.MetadataKey(i));
            WriteText(row.MetadataValue(i));
        }

        Count++;
    }

    /// <summary>
    /// The staged entries in order, with ids <paramref name="firstId"/>, <paramref name="firstId"/> + 1, ..., in one
    /// reused row (valid until the next is read); read once.
    /// </summary>
    public IEnumerable<ImportRow> Read(int firstId)
    {
        _writer.Flush();
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

    public void Dispose()
    {
        _writer.Dispose();
        _file.Dispose();
    }

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

    private void WriteText(ReadOnlySpan<byte> utf8)
    {
        _writer.Write7BitEncodedInt(utf8.Length);
        _writer.Write(utf8);
    }

    /// <summary>A text as <see cref="WriteText"/> wrote it (its length, then its bytes), in the scratch buffer.</summary>
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
