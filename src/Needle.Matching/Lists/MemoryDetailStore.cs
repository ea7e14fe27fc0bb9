namespace Needle.Matching.Lists;

/// <summary>
/// Detail records packed into 1 MiB byte chunks: one array per million small records instead of a few objects per
/// entry. A reference is the chunk number (high 32 bits) and the offset of the record's 4-byte length.
/// </summary>
internal sealed class MemoryDetailStore : EntryDetailStore
{
    private const int ChunkSize = 1 << 20;

    private readonly List<byte[]> _chunks = [];
    private int _used = ChunkSize;

    public override long MemoryBytes
    {
        get
        {
            long total = 0;
            foreach (var chunk in _chunks)
            {
                total += chunk.Length;
            }

            return total;
        }
    }

    public override void Dispose()
    {
    }

    public override DetailRecordReader OpenReader() => new ChunkReader([.. _chunks]);

    public override long Append(ReadOnlySpan<byte> record)
    {
        var needed = record.Length + sizeof(int);
        if (_chunks.Count == 0 || _used + needed > _chunks[^1].Length)
        {
            _chunks.Add(new byte[Math.Max(ChunkSize, needed)]);
            _used = 0;
        }

        var chunk = _chunks[^1];
        var offset = _used;
        BitConverter.TryWriteBytes(chunk.AsSpan(offset), record.Length);
        record.CopyTo(chunk.AsSpan(offset + sizeof(int)));
        _used += needed;
        return ((long)(_chunks.Count - 1) << 32) | (uint)offset;
    }

    public override ReadOnlyMemory<byte> Read(long reference)
    {
        var chunk = _chunks[(int)(reference >> 32)];
        var offset = (int)(reference & uint.MaxValue);
        var length = BitConverter.ToInt32(chunk, offset);
        return chunk.AsMemory(offset + sizeof(int), length);
    }

    /// <summary>The chunks as they were: bytes already written in a chunk never change, and new chunks are not seen.</summary>
    private sealed class ChunkReader(byte[][] chunks) : DetailRecordReader
    {
        public override ReadOnlySpan<byte> Read(long reference)
        {
            var chunk = chunks[(int)(reference >> 32)];
            var offset = (int)(reference & uint.MaxValue);
            var length = BitConverter.ToInt32(chunk, offset);
            return chunk.AsSpan(offset + sizeof(int), length);
        }
    }
}
