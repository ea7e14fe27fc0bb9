using System.IO.Compression;

namespace Needle.Matching.Formats;

/// <summary>
/// Opens a list file that may be gzip-compressed (<c>.jsonl.gz</c>, <c>.csv.gz</c>, or a body sent with
/// <c>Content-Encoding: gzip</c>): the compressed bytes are decompressed while read, never stored decompressed, and the
/// decompressed bytes are capped so a small "gzip bomb" cannot expand without limit.
/// </summary>
public static class CompressedListFile
{
    /// <summary>Whether <paramref name="head"/> starts with the gzip magic bytes (1f 8b).</summary>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>
    /// <paramref name="raw"/> as a stream of the list's own bytes: decompressed when it starts with the gzip magic bytes
    /// (or <paramref name="gzip"/> says it is compressed), else as is (with nothing read twice). A decompressed stream
    /// larger than <paramref name="maxDecompressedBytes"/> fails with <see cref="InvalidDataException"/> naming the
    /// limit; corrupt gzip data fails with one naming <paramref name="name"/>. The returned stream owns <paramref name="raw"/>.
    /// </summary>
    public static Stream Open(Stream raw, bool gzip, long? maxDecompressedBytes, string name)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var (head, length, all) = PrefixedStream.Peek(raw, 2);
        if (!gzip && !IsGzip(head.AsSpan(0, length)))
        {
            if (raw.CanSeek)
            {
                raw.Position = 0;
                return raw;
            }

            return new GunzipStream(all, raw, long.MaxValue, name);
        }

        return new GunzipStream(new GZipStream(all, CompressionMode.Decompress, leaveOpen: false), raw, maxDecompressedBytes ?? long.MaxValue, name);
    }

    /// <summary>Decompresses, counting the bytes against the cap, and names the file in a corrupt-data error (owns the raw stream).</summary>
    private sealed class GunzipStream(Stream inner, Stream raw, long maxBytes, string name) : Stream
    {
        private long _total;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _total; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int read;
            try
            {
                read = inner.Read(buffer);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{name}: the gzip data is corrupt ({ex.Message}); nothing of it was kept.", ex);
            }

            _total += read;
            if (_total > maxBytes)
            {
                throw new InvalidDataException($"{name} is larger than {maxBytes} bytes once decompressed (the size limit applies to the decompressed list); nothing of it was kept.");
            }

            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                raw.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
