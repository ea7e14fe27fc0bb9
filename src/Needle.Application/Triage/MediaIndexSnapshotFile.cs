using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Application.Triage;

/// <summary>
/// The near-duplicate media index's columns in one checksummed file, so a node restarts without reading every
/// processed file's PDQ from its database. Little-endian throughout:
/// <code>
/// offset  size  field
///  0       8    magic "NDLMSNAP"
///  8       4    version (1)
/// 12       4    held files n
/// 16       8    highest media sequence read S
/// 24      16    anchor: the id of the file stored at S (empty when S is 0)
/// 40       4    minimum PDQ quality indexed
/// 44       4    files indexed per identical PDQ
/// 48       8    XxHash3-64 of the payload
/// 56       8    XxHash3-64 of bytes 0..56
/// 64            payload: PDQ words (32n, entry order), media sequences (8n)
/// </code>
/// Written to a temporary file in the same folder, flushed and renamed over the target, so a reader sees the old file
/// or the new one. <see cref="Read"/> checks the length and both checksums before anything is trusted.
/// </summary>
internal static class MediaIndexSnapshotFile
{
    public const int Version = 1;

    private const int HeaderLength = 64;
    private static ReadOnlySpan<byte> Magic => "NDLMSNAP"u8;

    public static void Write(string path, MediaIndexSnapshot snapshot)
    {
        EnsureLittleEndian();
        var fullPath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        var tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var words = MemoryMarshal.AsBytes(snapshot.HashWords.AsSpan());
        var sequences = MemoryMarshal.AsBytes(snapshot.Sequences.AsSpan());
        var payload = new XxHash3();
        payload.Append(words);
        payload.Append(sequences);
        var header = new byte[HeaderLength];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), snapshot.Sequences.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), snapshot.HighestSequence);
        snapshot.Anchor.TryWriteBytes(header.AsSpan(24, 16));
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(40), snapshot.MinimumQuality);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(44), snapshot.MaxIdentical);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(48), payload.GetCurrentHashAsUInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(56), XxHash3.HashToUInt64(header.AsSpan(0, 56)));
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                stream.Write(header);
                stream.Write(words);
                stream.Write(sequences);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <exception cref="InvalidDataException">Not a media index snapshot, another version, truncated or damaged; the message names the file and the reason.</exception>
    public static MediaIndexSnapshot Read(string path)
    {
        EnsureLittleEndian();
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        var fileLength = RandomAccess.GetLength(handle);
        var header = new byte[HeaderLength];
        if (fileLength < HeaderLength || RandomAccess.Read(handle, header, 0) != HeaderLength)
        {
            throw Invalid(path, $"it is {fileLength} bytes long, shorter than a header (truncated or not a snapshot)");
        }

        if (!header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw Invalid(path, "it does not start with the media index snapshot magic 'NDLMSNAP' (not a snapshot)");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(56)) != XxHash3.HashToUInt64(header.AsSpan(0, 56)))
        {
            throw Invalid(path, "the header checksum does not match (the header is damaged)");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != Version)
        {
            throw Invalid(path, $"it has format version {version}; this build reads version {Version} (incompatible version)");
        }

        var n = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        var expected = HeaderLength + ((long)n * ((PdqHash.WordCount * sizeof(ulong)) + sizeof(long)));
        if (n < 0 || fileLength != expected)
        {
            throw Invalid(path, $"it is {fileLength} bytes long but its header declares {expected} ({(fileLength < expected ? "truncated" : "trailing bytes")})");
        }

        var words = new ulong[(long)n * PdqHash.WordCount];
        var sequences = new long[n];
        var payload = new XxHash3();
        ReadAt(handle, MemoryMarshal.AsBytes(words.AsSpan()), HeaderLength, payload);
        ReadAt(handle, MemoryMarshal.AsBytes(sequences.AsSpan()), HeaderLength + (words.LongLength * sizeof(ulong)), payload);
        if (payload.GetCurrentHashAsUInt64() != BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(48)))
        {
            throw Invalid(path, "the payload checksum does not match (the file is damaged)");
        }

        return new MediaIndexSnapshot(
            words,
            sequences,
            BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16)),
            new Guid(header.AsSpan(24, 16)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(40)),
            BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(44)));
    }

    private static void ReadAt(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> destination, long offset, XxHash3 hash)
    {
        const int Chunk = 1 << 20;
        for (var done = 0; done < destination.Length;)
        {
            var chunk = destination.Slice(done, Math.Min(Chunk, destination.Length - done));
            var read = RandomAccess.Read(handle, chunk, offset + done);
            if (read == 0)
            {
                throw new EndOfStreamException("The snapshot file ended early.");
            }

            hash.Append(chunk[..read]);
            done += read;
        }
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"Cannot load media index snapshot '{path}': {problem}.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Media index snapshots are read and written on little-endian machines only.");
        }
    }
}
