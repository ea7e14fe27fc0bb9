using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// A list's columns and entry details in one checksummed file, so a node restarts without reading every entry from its
/// database: the file is read at disk speed and the entries' details stay in the file, read back only for matches.
/// Little-endian throughout:
/// <code>
/// offset  size  field
///  0       8    magic "NDLLSNAP"
///  8       4    version (1)
/// 12       4    meta length M
/// 16       8    payload length P
/// 24       8    XxHash3-64 of the payload
/// 32       8    detail section length D
/// 40       M    meta: list name, kind, generation, sequence, anchor, entry count n, per signal type (name, value width,
///               entry count), thresholds (type name, value); strings as 7-bit length + UTF-8
/// 40+M     8    XxHash3-64 of bytes 0..40+M (a damaged header is caught before it is trusted)
/// 48+M          payload: detail records (D bytes: per record a 4-byte length and the bytes), zero padding to 8,
///               ids (4n) padded to 8, type per entry (n) padded to 8, enabled bitmap (8 * ceil(n/64)), detail
///               reference per entry (8n: offset into the detail records, -1 none), then per type its values back to back
///               (count * width) padded to 8
/// </code>
/// Writes go to a temporary file in the same folder that is flushed to disk and renamed over the target, so a reader
/// sees the old file or the new one, never a partial one. <see cref="Read"/> checks sizes against the file length
/// and both checksums before anything is trusted, and refuses a damaged, truncated or other-version file whole.
/// </summary>
public static class HashListSnapshotFile
{
    /// <summary>Current format version; a file of another version is refused.</summary>
    public const int Version = 1;

    private const int FixedHeader = 40;
    private const int BufferSize = 1 << 20;
    private const int WriteBufferSize = 4 << 20;
    private static ReadOnlySpan<byte> Magic => "NDLLSNAP"u8;

    /// <summary>Copies <paramref name="list"/>'s columns now (under its lock, quickly) for a later <see cref="Write(string, HashListCapture, HashListSnapshotInfo)"/>.</summary>
    public static HashListCapture Capture(HashList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var columns = list.CaptureColumns();
        return new HashListCapture(list, columns, list.OpenDetailReader());
    }

    /// <summary>Captures <paramref name="list"/> and writes it to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, HashList list, HashListSnapshotInfo info) => Write(path, Capture(list), info);

    /// <summary>Writes a capture to <paramref name="path"/> atomically (temporary file, flushed, renamed over the target).</summary>
    public static void Write(string path, HashListCapture capture, HashListSnapshotInfo info)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(capture);
        ArgumentNullException.ThrowIfNull(info);
        EnsureLittleEndian();
        var columns = capture.Columns;
        var list = capture.List;
        var meta = Meta(list.Name, list.Kind, info, columns);
        var fullPath = Path.GetFullPath(path);
        var tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = File.OpenHandle(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                var headerLength = FixedHeader + meta.Length + 8;
                var output = new Output(file, headerLength);
                var n = columns.Ids.Length;

                // The detail records first, copied through one large buffer (the records are read through a window of
                // the list's detail store, not one by one under its lock): their offsets are learned while copying.
                var offsets = new long[n];
                var details = capture.Details;
                long detailLength = 0;
                for (var i = 0; i < n; i++)
                {
                    var reference = columns.DetailRefs[i];
                    if (reference < 0)
                    {
                        offsets[i] = -1;
                        continue;
                    }

                    var record = details.Read(reference);
                    output.PutRecord(record);
                    offsets[i] = detailLength;
                    detailLength += sizeof(int) + record.Length;
                }

                output.Pad(detailLength);
                output.PutPadded(MemoryMarshal.AsBytes(columns.Ids.AsSpan()));
                output.PutPadded(columns.TypeOf);
                var enabled = new ulong[BitmapLength(n)];
                for (var i = 0; i < n; i++)
                {
                    enabled[i >> 6] |= columns.Enabled[i] ? 1UL << i : 0;
                }

                output.Put(MemoryMarshal.AsBytes(enabled.AsSpan()));
                output.Put(MemoryMarshal.AsBytes(offsets.AsSpan()));
                foreach (var values in columns.Values)
                {
                    output.PutPadded(values);
                }

                var payloadHash = output.Finish();
                var payload = output.Position - headerLength;
                var header = new byte[headerLength];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), meta.Length);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), payload);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), payloadHash);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), detailLength);
                meta.CopyTo(header.AsSpan(FixedHeader));
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(headerLength - 8), XxHash3.HashToUInt64(header.AsSpan(0, headerLength - 8)));
                RandomAccess.Write(file, header, 0);
                RandomAccess.FlushToDisk(file);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// Reads a snapshot back as a list. Details stay in the file (kept open: replacing the file later does not disturb
    /// the list); details of entries added afterwards go to a temporary file in <paramref name="detailDirectory"/>, or
    /// to memory when it is null.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is not a list snapshot, is of another version, is truncated, or a checksum does not match; the message
    /// names the file and the reason.
    /// </exception>
    public static HashListSnapshot Read(string path, string? detailDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.RandomAccess);
        try
        {
            var snapshot = ReadOpen(path, handle, detailDirectory);
            handle = null;
            return snapshot;
        }
        finally
        {
            handle?.Dispose();
        }
    }

    private static HashListSnapshot ReadOpen(string path, SafeFileHandle handle, string? detailDirectory)
    {
        var fileLength = RandomAccess.GetLength(handle);
        var fixedHeader = new byte[FixedHeader];
        if (fileLength < FixedHeader + 8 || RandomAccess.Read(handle, fixedHeader, 0) != FixedHeader)
        {
            throw Invalid(path, $"it is {fileLength} bytes long, shorter than a header (truncated or not a snapshot)");
        }

        if (!fixedHeader.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw Invalid(path, "it does not start with the list snapshot magic 'NDLLSNAP' (not a snapshot)");
        }

        var version = BinaryPrimitives.ReadInt32LittleEndian(fixedHeader.AsSpan(8));
        var metaLength = BinaryPrimitives.ReadInt32LittleEndian(fixedHeader.AsSpan(12));
        if (metaLength < 0 || FixedHeader + (long)metaLength + 8 > fileLength)
        {
            throw Invalid(path, $"its header declares {metaLength} bytes of meta in a {fileLength}-byte file (truncated or damaged)");
        }

        var headerLength = FixedHeader + metaLength + 8;
        var header = new byte[headerLength];
        ReadAt(handle, header, 0);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(headerLength - 8)) != XxHash3.HashToUInt64(header.AsSpan(0, headerLength - 8)))
        {
            throw Invalid(path, "the header checksum does not match (the header is damaged)");
        }

        if (version != Version)
        {
            throw Invalid(path, $"it has format version {version}; this build reads version {Version} (incompatible version)");
        }

        var payload = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        var payloadHash = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        var details = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
        if (fileLength != headerLength + payload)
        {
            throw Invalid(path, $"it is {fileLength} bytes long but its header declares {headerLength + payload} ({(fileLength < headerLength + payload ? "truncated" : "trailing bytes")})");
        }

        var (name, kind, info, n, types, counts, thresholds) = ParseMeta(path, header.AsSpan(FixedHeader, metaLength));
        long expected = Padded(details) + Padded(4L * n) + Padded(n) + (8L * BitmapLength(n)) + (8L * n);
        for (var t = 0; t < types.Length; t++)
        {
            expected += Padded((long)counts[t] * types[t].ValueBytes);
        }

        if (details < 0 || payload != expected)
        {
            throw Invalid(path, $"its header declares a {payload}-byte payload but its entries need {expected} (damaged)");
        }

        // Every byte is checked before anything is used: the detail section is hashed in passing, the columns as read.
        var hash = new XxHash3();
        long at = headerLength;
        var buffer = new byte[BufferSize];
        for (var left = Padded(details); left > 0;)
        {
            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, left));
            ReadAt(handle, chunk, at);
            hash.Append(chunk);
            at += chunk.Length;
            left -= chunk.Length;
        }

        var ids = new int[n];
        at = ReadColumn(handle, hash, MemoryMarshal.AsBytes(ids.AsSpan()), at, padded: true);
        var typeOf = new byte[n];
        at = ReadColumn(handle, hash, typeOf, at, padded: true);
        var enabledBits = new ulong[BitmapLength(n)];
        at = ReadColumn(handle, hash, MemoryMarshal.AsBytes(enabledBits.AsSpan()), at, padded: false);
        var detailRefs = new long[n];
        at = ReadColumn(handle, hash, MemoryMarshal.AsBytes(detailRefs.AsSpan()), at, padded: false);
        // Values whose width is a whole number of 8-byte words are read straight into the words the list's value
        // columns keep (no second copy of the largest column, nor twice its memory while loading).
        var values = new byte[types.Length][];
        var valueWords = new ulong[]?[types.Length];
        for (var t = 0; t < types.Length; t++)
        {
            var width = types[t].ValueBytes;
            if (width > 0 && width % 8 == 0)
            {
                values[t] = [];
                // Allocated as the list's columns are (advised for huge pages): the PDQ index reads hashes from them.
                valueWords[t] = LargeArrays.AllocateUninitialized<ulong>(checked(counts[t] * (width / 8)));
                at = ReadWords(handle, hash, valueWords[t]!, at);
            }
            else
            {
                values[t] = new byte[(long)counts[t] * width];
                at = ReadColumn(handle, hash, values[t], at, padded: true);
            }
        }

        if (hash.GetCurrentHashAsUInt64() != payloadHash)
        {
            throw Invalid(path, "the payload checksum does not match (the file is damaged)");
        }

        var enabled = new bool[n];
        var seen = new int[types.Length];
        for (var i = 0; i < n; i++)
        {
            enabled[i] = (enabledBits[i >> 6] & (1UL << i)) != 0;
            if (typeOf[i] >= types.Length || (detailRefs[i] is < -1 || detailRefs[i] >= details))
            {
                throw Invalid(path, $"entry {i} names type {typeOf[i]} or detail offset {detailRefs[i]} outside the file");
            }

            seen[typeOf[i]]++;
        }

        if (!seen.AsSpan().SequenceEqual(counts))
        {
            throw Invalid(path, "its per-type entry counts do not match its entries");
        }

        var columns = new HashListColumns(types, ids, typeOf, enabled, values, detailRefs, thresholds) { ValueWords = valueWords };
        var tail = detailDirectory is null ? (EntryDetailStore)new MemoryDetailStore() : new FileDetailStore(detailDirectory);
        HashList list;
        try
        {
            list = HashList.FromColumns(name, kind, columns, new OverlayDetailStore(handle, headerLength, details, tail));
        }
        catch (InvalidDataException ex)
        {
            tail.Dispose();
            throw Invalid(path, ex.Message);
        }

        return new HashListSnapshot(list, info);
    }

    private static byte[] Meta(string name, HashListKind kind, HashListSnapshotInfo info, HashListColumns columns)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(name);
            writer.Write((byte)kind);
            writer.Write(info.Generation);
            writer.Write(info.Sequence);
            writer.Write(info.Anchor);
            writer.Write(columns.Ids.Length);
            var counts = new int[columns.Types.Count];
            foreach (var t in columns.TypeOf)
            {
                counts[t]++;
            }

            writer.Write(columns.Types.Count);
            for (var t = 0; t < columns.Types.Count; t++)
            {
                writer.Write(columns.Types[t].Name);
                writer.Write(columns.Types[t].ValueBytes);
                writer.Write(counts[t]);
            }

            writer.Write(columns.Thresholds.Count);
            foreach (var (type, threshold) in columns.Thresholds)
            {
                writer.Write(type.Name);
                writer.Write(threshold);
            }
        }

        return memory.ToArray();
    }

    private static (string Name, HashListKind Kind, HashListSnapshotInfo Info, int Count, SignalType[] Types, int[] Counts, Dictionary<SignalType, double> Thresholds) ParseMeta(string path, ReadOnlySpan<byte> meta)
    {
        using var reader = new BinaryReader(new MemoryStream(meta.ToArray()), Encoding.UTF8);
        try
        {
            var name = reader.ReadString();
            var kind = (HashListKind)reader.ReadByte();
            var info = new HashListSnapshotInfo(reader.ReadInt64(), reader.ReadInt64(), reader.ReadString());
            var n = reader.ReadInt32();
            var typeCount = reader.ReadInt32();
            if (n < 0 || typeCount is < 0 or > byte.MaxValue || !Enum.IsDefined(kind) || string.IsNullOrWhiteSpace(name))
            {
                throw Invalid(path, $"its meta declares {n} entries, {typeCount} types, kind {(int)kind} (damaged)");
            }

            var types = new SignalType[typeCount];
            var counts = new int[typeCount];
            for (var t = 0; t < typeCount; t++)
            {
                var typeName = reader.ReadString();
                var width = reader.ReadInt32();
                counts[t] = reader.ReadInt32();
                if (!SignalTypes.TryGet(typeName, out var type) || type.ValueBytes != width || counts[t] < 0)
                {
                    throw Invalid(path, $"it stores signal type '{typeName}' with {width}-byte values, which this build does not read (incompatible version)");
                }

                types[t] = type;
            }

            var thresholds = new Dictionary<SignalType, double>();
            var thresholdCount = reader.ReadInt32();
            for (var i = 0; i < thresholdCount; i++)
            {
                var typeName = reader.ReadString();
                var value = reader.ReadDouble();
                if (!SignalTypes.TryGet(typeName, out var type))
                {
                    throw Invalid(path, $"it sets a threshold for unknown signal type '{typeName}' (incompatible version)");
                }

                type.ValidateThreshold(value);
                thresholds[type] = value;
            }

            if (reader.BaseStream.Position != meta.Length)
            {
                throw Invalid(path, "its meta has trailing bytes (damaged)");
            }

            return (name, kind, info, n, types, counts, thresholds);
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or ArgumentOutOfRangeException or IOException)
        {
            throw Invalid(path, $"its meta cannot be read ({ex.Message})");
        }
    }

    private static long ReadColumn(SafeFileHandle handle, XxHash3 hash, Span<byte> destination, long at, bool padded)
    {
        for (var offset = 0; offset < destination.Length; offset += BufferSize)
        {
            var chunk = destination.Slice(offset, Math.Min(BufferSize, destination.Length - offset));
            ReadAt(handle, chunk, at + offset);
            hash.Append(chunk);
        }

        at += destination.Length;
        var padding = padded ? (int)(Padded(destination.Length) - destination.Length) : 0;
        if (padding > 0)
        {
            Span<byte> pad = stackalloc byte[8];
            ReadAt(handle, pad[..padding], at);
            hash.Append(pad[..padding]);
            at += padding;
        }

        return at;
    }

    private static long ReadWords(SafeFileHandle handle, XxHash3 hash, ulong[] words, long at)
    {
        // In pieces: a column of more than 2 GB has no single byte span.
        const int piece = BufferSize / sizeof(ulong);
        for (long offset = 0; offset < words.LongLength; offset += piece)
        {
            var chunk = MemoryMarshal.AsBytes(words.AsSpan((int)offset, (int)Math.Min(piece, words.LongLength - offset)));
            ReadAt(handle, chunk, at);
            hash.Append(chunk);
            at += chunk.Length;
        }

        return at;
    }

    private static void ReadAt(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        var read = 0;
        while (read < destination.Length)
        {
            var n = RandomAccess.Read(handle, destination[read..], offset + read);
            if (n == 0)
            {
                throw new EndOfStreamException("The snapshot file ended early.");
            }

            read += n;
        }
    }

    private static long Padded(long length) => (length + 7) & ~7L;

    private static int BitmapLength(int count) => (count + 63) >> 6;

    private static InvalidDataException Invalid(string path, string problem) =>
        new($"Cannot load list snapshot '{path}': {problem}.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("List snapshots are read and written on little-endian machines only.");
        }
    }

    /// <summary>
    /// The payload on its way to the file: small pieces gather in a large buffer, large ones are written as they are;
    /// everything is hashed in file order.
    /// </summary>
    private sealed class Output(SafeFileHandle file, long start)
    {
        private readonly byte[] _buffer = new byte[WriteBufferSize];
        private readonly XxHash3 _hash = new();
        private int _used;

        /// <summary>Where the next byte goes in the file.</summary>
        public long Position { get; private set; } = start;

        public void PutRecord(ReadOnlySpan<byte> record)
        {
            if (sizeof(int) + record.Length > _buffer.Length - _used)
            {
                Flush();
            }

            if (sizeof(int) + record.Length > _buffer.Length)
            {
                Span<byte> prefix = stackalloc byte[sizeof(int)];
                BinaryPrimitives.WriteInt32LittleEndian(prefix, record.Length);
                Put(prefix);
                Put(record);
                return;
            }

            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_used), record.Length);
            record.CopyTo(_buffer.AsSpan(_used + sizeof(int)));
            _used += sizeof(int) + record.Length;
            Position += sizeof(int) + record.Length;
        }

        public void Put(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length <= _buffer.Length - _used)
            {
                bytes.CopyTo(_buffer.AsSpan(_used));
                _used += bytes.Length;
                Position += bytes.Length;
                return;
            }

            // A whole column: written from where it lies, in large pieces.
            Flush();
            for (var offset = 0; offset < bytes.Length; offset += WriteBufferSize)
            {
                var piece = bytes.Slice(offset, Math.Min(WriteBufferSize, bytes.Length - offset));
                _hash.Append(piece);
                RandomAccess.Write(file, piece, Position);
                Position += piece.Length;
            }
        }

        public void PutPadded(ReadOnlySpan<byte> bytes)
        {
            Put(bytes);
            Pad(bytes.Length);
        }

        public void Pad(long length)
        {
            Span<byte> zeros = stackalloc byte[8];
            zeros.Clear();
            Put(zeros[..(int)(Padded(length) - length)]);
        }

        /// <summary>Writes what is buffered and returns the payload's hash.</summary>
        public ulong Finish()
        {
            Flush();
            return _hash.GetCurrentHashAsUInt64();
        }

        private void Flush()
        {
            if (_used == 0)
            {
                return;
            }

            var pending = _buffer.AsSpan(0, _used);
            _hash.Append(pending);
            RandomAccess.Write(file, pending, Position - _used);
            _used = 0;
        }
    }
}
