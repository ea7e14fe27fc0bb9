using System.Buffers;
using System.Security.Cryptography;

namespace Needle.Hashing;

/// <summary>Cryptographic digests of a file's bytes, as lowercase hex (the form <c>md5sum</c>, <c>sha1sum</c> and <c>sha256sum</c> print).</summary>
/// <param name="Md5">MD5, 32 hex digits.</param>
/// <param name="Sha1">SHA-1, 40 hex digits.</param>
/// <param name="Sha256">SHA-256, 64 hex digits.</param>
/// <param name="Length">Number of bytes hashed.</param>
public sealed record FileDigests(string Md5, string Sha1, string Sha256, long Length)
{
    /// <summary>Chunk fed to all three hashes in turn, so each chunk is read from memory while it is still in cache.</summary>
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Digests of bytes already in memory.</summary>
    public static FileDigests Compute(ReadOnlySpan<byte> bytes)
    {
        using var hashes = new DigestSet();
        for (var offset = 0; offset < bytes.Length; offset += ChunkBytes)
        {
            hashes.Append(bytes.Slice(offset, Math.Min(ChunkBytes, bytes.Length - offset)));
        }

        return hashes.Finish(bytes.Length);
    }

    /// <summary>Digests of <paramref name="stream"/> from its position to its end, in one pass with a pooled buffer; does not dispose it.</summary>
    public static FileDigests Compute(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var hashes = new DigestSet();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long total = 0;
            int read;
            while ((read = stream.Read(buffer, 0, ChunkBytes)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hashes.Append(buffer.AsSpan(0, read));
                total += read;
            }

            return hashes.Finish(total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Digests of the file at <paramref name="path"/>, read once. I/O errors are thrown as they are.</summary>
    public static FileDigests ComputeFile(string path, CancellationToken cancellationToken = default)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        return Compute(stream, cancellationToken);
    }

    private sealed class DigestSet : IDisposable
    {
        private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private readonly IncrementalHash _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public void Append(ReadOnlySpan<byte> chunk)
        {
            _md5.AppendData(chunk);
            _sha1.AppendData(chunk);
            _sha256.AppendData(chunk);
        }

        public FileDigests Finish(long length)
        {
            Span<byte> digest = stackalloc byte[32];
            var md5 = Convert.ToHexStringLower(digest[.._md5.GetHashAndReset(digest)]);
            var sha1 = Convert.ToHexStringLower(digest[.._sha1.GetHashAndReset(digest)]);
            var sha256 = Convert.ToHexStringLower(digest[.._sha256.GetHashAndReset(digest)]);
            return new FileDigests(md5, sha1, sha256, length);
        }

        public void Dispose()
        {
            _md5.Dispose();
            _sha1.Dispose();
            _sha256.Dispose();
        }
    }
}
