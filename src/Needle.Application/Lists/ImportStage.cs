using System.Text;
using Needle.Matching.Formats;
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

    // Read back, the texts that repeat (signal types, categories, sources, metadata keys) are one string each.
    private readonly StringPool _pool = new();
    private byte[] _bytes = new byte[256];

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

    public void Add(HashListEntry entry)
    {
        var flags = (byte)((entry.Label is null ? 0 : HasLabel) | (entry.Category is null ? 0 : HasCategory) | (entry.Source is null ? 0 : HasSource) | (entry.Enabled ? IsEnabled : 0));
        _writer.Write(entry.SignalType.Name);
        _writer.Write(entry.Value);
        _writer.Write(flags);
        WriteIf(entry.Label);
        WriteIf(entry.Category);
        WriteIf(entry.Source);
        _writer.Write7BitEncodedInt(entry.Metadata.Count);
        foreach (var (key, value) in entry.Metadata)
        {
            _writer.Write(key);
            _writer.Write(value);
        }

        Count++;
    }

    /// <summary>The staged entries in order, with ids <paramref name="firstId"/>, <paramref name="firstId"/> + 1, ...; read once.</summary>
    public IEnumerable<HashListEntry> Read(int firstId)
    {
        _writer.Flush();
        _file.Position = 0;
        using var reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
        for (var i = 0; i < Count; i++)
        {
            var typeName = ReadText(reader, pooled: true);
            if (!SignalTypes.TryGet(typeName, out var type))
            {
                throw new InvalidDataException($"The import stage holds the unknown signal type '{typeName}'.");
            }

            var value = ReadText(reader, pooled: false);
            var flags = reader.ReadByte();
            var label = (flags & HasLabel) != 0 ? ReadText(reader, pooled: true) : null;
            var category = (flags & HasCategory) != 0 ? ReadText(reader, pooled: true) : null;
            var source = (flags & HasSource) != 0 ? ReadText(reader, pooled: true) : null;
            var pairs = reader.Read7BitEncodedInt();
            var metadata = new Dictionary<string, string>(pairs, StringComparer.Ordinal);
            for (var p = 0; p < pairs; p++)
            {
                var key = ReadText(reader, pooled: true);
                metadata[key] = ReadText(reader, pooled: true);
            }

            yield return new HashListEntry(type, value)
            {
                Id = firstId + i,
                Label = label,
                Category = category,
                Source = source,
                Enabled = (flags & IsEnabled) != 0,
                Metadata = metadata,
            };
        }
    }

    public void Dispose()
    {
        _writer.Dispose();
        _file.Dispose();
    }

    /// <summary>A string as <see cref="BinaryWriter.Write(string)"/> wrote it (its UTF-8 length, then its bytes).</summary>
    private string ReadText(BinaryReader reader, bool pooled)
    {
        var length = reader.Read7BitEncodedInt();
        if (_bytes.Length < length)
        {
            _bytes = new byte[length];
        }

        // The reader reads byte by byte from the file's buffer, so reading the bytes from the file directly keeps the place.
        _file.ReadExactly(_bytes, 0, length);
        var bytes = _bytes.AsSpan(0, length);
        return pooled ? _pool.Get(bytes) : Encoding.UTF8.GetString(bytes);
    }

    private void WriteIf(string? text)
    {
        if (text is not null)
        {
            _writer.Write(text);
        }
    }
}
