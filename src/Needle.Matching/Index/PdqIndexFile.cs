using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// Compact binary file of index entries. Little-endian throughout:
/// <code>
/// offset  size  field
///  0       8    magic "NDLPDQIX"
///  8       4    version (1)
/// 12       4    flags (none defined; must be 0)
/// 16       8    entry count n
/// 24       8    payload length in bytes
/// 32       8    XxHash3-64 of the payload
/// 40       8    XxHash3-64 of bytes 0..40 (so a damaged header is caught before it is trusted)
/// 48            payload: ids (4n bytes, zero-padded to a multiple of 8), enabled bitmap (8 * ceil(n/64) bytes,
///               bit i of word i/64 = entry i enabled), hashes (32n bytes, words W0..W3 per entry)
/// </code>
/// Writes go to a temporary file in the same directory that is flushed and then renamed over the target, so readers
/// see the old file or the new one, never a partial one. Reads check sizes against the file length before allocating
/// and the checksums before returning, so a damaged file is refused whole.
/// </summary>
public static class PdqIndexFile
{
    /// <summary>Current format version.</summary>
    public const int Version = 1;

    private const int HeaderLength = 48;
    private const int ChunkBytes = 16 << 20;
    private static ReadOnlySpan<byte> Magic => "NDLPDQIX"u8;

    /// <summary>Writes the entries of an index.</summary>
    public static void Write(string path, MultiIndexHammingIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        Write(path, index.ExportData());
    }

    /// <summary>Writes <paramref name="data"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, PdqIndexData data)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(data);
        EnsureLittleEndian();
        string fullPath = Path.GetFullPath(path);
        string tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                var ids = MemoryMarshal.AsBytes(data.Ids.AsSpan());
                var padding = new byte[IdsPadding(data.Count)];
                var bits = MemoryMarshal.AsBytes(data.EnabledBits.AsSpan());

                var payloadHash = new XxHash3();
                payloadHash.Append(ids);
                payloadHash.Append(padding);
                payloadHash.Append(bits);

                // Hash words can exceed 2 GiB as bytes (a byte span cannot): go through them in word chunks.
                for (long word = 0; word < data.HashWords.LongLength; word += ChunkWords)
                {
                    payloadHash.Append(MemoryMarshal.AsBytes(WordChunk(data.HashWords, word)));
                }

                Span<byte> header = stackalloc byte[HeaderLength];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
                BinaryPrimitives.WriteInt32LittleEndian(header[12..], 0);
                BinaryPrimitives.WriteInt64LittleEndian(header[16..], data.Count);
                BinaryPrimitives.WriteInt64LittleEndian(header[24..], PayloadLength(data.Count));
                BinaryPrimitives.WriteUInt64LittleEndian(header[32..], payloadHash.GetCurrentHashAsUInt64());
                BinaryPrimitives.WriteUInt64LittleEndian(header[40..], XxHash3.HashToUInt64(header[..40]));

                stream.Write(header);
                WriteChunked(stream, ids);
                stream.Write(padding);
                WriteChunked(stream, bits);
                for (long word = 0; word < data.HashWords.LongLength; word += ChunkWords)
                {
                    stream.Write(MemoryMarshal.AsBytes(WordChunk(data.HashWords, word)));
                }
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

    /// <summary>Reads a file written by <see cref="Write(string, PdqIndexData)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an index file, is of another version, truncated or damaged.</exception>
    public static PdqIndexData Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        long fileLength = stream.Length;
        if (fileLength < HeaderLength)
        {
            throw Invalid(path, $"it is {fileLength} bytes long, shorter than the {HeaderLength}-byte header (truncated or not an index file)");
        }

        Span<byte> header = stackalloc byte[HeaderLength];
        stream.ReadExactly(header);
        if (!header[..8].SequenceEqual(Magic))
        {
            throw Invalid(path, "it does not start with the PDQ index magic 'NDLPDQIX' (not an index file)");
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(header[40..]) != XxHash3.HashToUInt64(header[..40]))
        {
            throw Invalid(path, "the header checksum does not match (the header is damaged)");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw Invalid(path, $"it has format version {version}; this build reads version {Version}");
        }

        int flags = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        if (flags != 0)
        {
            throw Invalid(path, $"it sets unknown flags 0x{flags:x}");
        }

        long count = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
        long payloadLength = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        if (count < 0 || count > Array.MaxLength / PdqHash.WordCount || payloadLength != PayloadLength((int)count))
        {
            throw Invalid(path, $"the header declares {count} entries and a {payloadLength}-byte payload, which do not fit together");
        }

        if (fileLength != HeaderLength + payloadLength)
        {
            throw Invalid(path, $"it is {fileLength} bytes long but its header declares {HeaderLength + payloadLength} ({(fileLength < HeaderLength + payloadLength ? "truncated" : "trailing bytes")})");
        }

        int n = (int)count;
        var ids = GC.AllocateUninitializedArray<int>(n);
        var padding = new byte[IdsPadding(n)];
        var bits = new ulong[HashSegment.BitmapLength(n)];
        var words = LargeArrays.AllocateUninitialized<ulong>(n * PdqHash.WordCount);
        var payloadHash = new XxHash3();
        ReadChunked(stream, MemoryMarshal.AsBytes(ids.AsSpan()), payloadHash);
        ReadChunked(stream, padding, payloadHash);
        ReadChunked(stream, MemoryMarshal.AsBytes(bits.AsSpan()), payloadHash);
        for (long word = 0; word < words.LongLength; word += ChunkWords)
        {
            ReadChunked(stream, MemoryMarshal.AsBytes(WordChunk(words, word)), payloadHash);
        }
        if (payloadHash.GetCurrentHashAsUInt64() != BinaryPrimitives.ReadUInt64LittleEndian(header[32..]))
        {
            throw Invalid(path, "the payload checksum does not match (the file is damaged)");
        }

        return new PdqIndexData(ids, words, bits);
    }

    /// <summary>Reads a file and builds a multi-index hashing index from it.</summary>
    public static MultiIndexHammingIndex ReadMultiIndex(string path, PdqIndexOptions? options = null) =>
        MultiIndexHammingIndex.BuildFrom(Read(path), options);

    /// <summary>Payload bytes for <paramref name="count"/> entries (over 2^32 at 100M entries: all in longs).</summary>
    internal static long PayloadLength(int count) =>
        (4L * count) + IdsPadding(count) + (8L * HashSegment.BitmapLength(count)) + (32L * count);

    private static int IdsPadding(int count) => (count & 1) * 4;

    /// <summary>Words per chunk when hash words go through byte views (a byte span cannot exceed 2 GiB).</summary>
    internal const int ChunkWords = ChunkBytes / 8;

    /// <summary>
    /// Length of the chunk of a <paramref name="totalWords"/>-word array starting at word <paramref name="start"/>:
    /// at most <see cref="ChunkWords"/>, so its byte view stays far below 2 GiB whatever the array's size.
    /// </summary>
    internal static int ChunkLength(long totalWords, long start) => (int)Math.Min(ChunkWords, totalWords - start);

    private static Span<ulong> WordChunk(ulong[] words, long start) =>
        words.AsSpan((int)start, ChunkLength(words.LongLength, start));

    private static void WriteChunked(FileStream stream, ReadOnlySpan<byte> bytes)
    {
        for (int offset = 0; offset < bytes.Length; offset += ChunkBytes)
        {
            stream.Write(bytes.Slice(offset, Math.Min(ChunkBytes, bytes.Length - offset)));
        }
    }

    private static void ReadChunked(FileStream stream, Span<byte> destination, XxHash3 hash)
    {
        for (int offset = 0; offset < destination.Length; offset += ChunkBytes)
        {
            var chunk = destination.Slice(offset, Math.Min(ChunkBytes, destination.Length - offset));
            stream.ReadExactly(chunk);
            hash.Append(chunk);
        }
    }

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"Cannot load PDQ index file '{path}': {problem}.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("PDQ index files are read and written on little-endian machines only.");
        }
    }
}
