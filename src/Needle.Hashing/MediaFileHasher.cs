using System.Security.Cryptography;
using Needle.Hashing.Decoding;
using Needle.Hashing.Pdq;

namespace Needle.Hashing;

/// <summary>
/// Reads a file once and computes the requested cryptographic hashes of its bytes and the PDQ hash of its image.
/// One instance per thread: it owns a <see cref="PdqHasher"/> with reusable buffers.
/// </summary>
public sealed class MediaFileHasher
{
    private readonly MediaHashOptions _options;
    private readonly ImageDecoder _decoder;
    private readonly PdqHasher _pdq;

    /// <summary>A hasher computing what <paramref name="options"/> asks for, decoding with <paramref name="decoder"/>.</summary>
    /// <param name="options">The hashes to compute; its <see cref="MediaHashOptions.Decode"/> limits the file size read.</param>
    /// <param name="decoder">Decodes the images for PDQ (it may be shared between threads).</param>
    public MediaFileHasher(MediaHashOptions options, ImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decoder);
        _options = options;
        _decoder = decoder;
        _pdq = new PdqHasher();
    }

    /// <summary>Hashes the file at <paramref name="path"/>; errors come back in the result, never as exceptions (except cancellation).</summary>
    public MediaHashResult Hash(string path, string? displayPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var shownPath = displayPath ?? path;
        FileContents contents;
        try
        {
            contents = FileContents.Read(path, _options.Decode.MaxFileBytes, cancellationToken);
        }
        catch (ImageDecodeException ex)
        {
            return new MediaHashResult { Path = shownPath, Error = ex.Reason, Failure = ex.Failure };
        }

        using (contents)
        {
            return HashBytes(contents.Bytes, shownPath, cancellationToken);
        }
    }

    /// <summary>Hashes bytes already in memory (an upload, say); <paramref name="name"/> is used in errors.</summary>
    public MediaHashResult HashBytes(ReadOnlyMemory<byte> bytes, string name, CancellationToken cancellationToken = default)
    {
        var algorithms = _options.Algorithms;
        var span = bytes.Span;
        var md5 = (algorithms & HashAlgorithms.Md5) != 0 ? Convert.ToHexStringLower(MD5.HashData(span)) : null;
        var sha1 = (algorithms & HashAlgorithms.Sha1) != 0 ? Convert.ToHexStringLower(SHA1.HashData(span)) : null;
        var sha256 = (algorithms & HashAlgorithms.Sha256) != 0 ? Convert.ToHexStringLower(SHA256.HashData(span)) : null;
        if ((algorithms & HashAlgorithms.Pdq) == 0)
        {
            return new MediaHashResult { Path = name, Md5 = md5, Sha1 = sha1, Sha256 = sha256, FileBytes = bytes.Length };
        }

        try
        {
            using var image = _decoder.Decode(bytes, name, cancellationToken);
            PdqResult pdq;
            PdqDihedralResult? dihedral = null;
            if (_options.Dihedral)
            {
                dihedral = _pdq.HashDihedral(image);
                pdq = new PdqResult(dihedral.Original, dihedral.Quality);
            }
            else
            {
                pdq = _pdq.Hash(image);
            }

            // An animation (GIF, WebP, APNG) is hashed frame by frame too (like a short video); frame 0 is the still hashed above.
            var animation = image.Format is ImageFormat.Gif or ImageFormat.Webp or ImageFormat.Png
                ? AnimationDecoder.Hash(bytes, _decoder.Options, _decoder.TimeProvider, _pdq, name, cancellationToken)
                : null;
            return new MediaHashResult
            {
                Path = name,
                Pdq = pdq,
                Dihedral = dihedral,
                Animation = animation,
                Md5 = md5,
                Sha1 = sha1,
                Sha256 = sha256,
                FileBytes = bytes.Length,
                Width = image.SourceWidth,
                Height = image.SourceHeight,
                Format = image.Format,
            };
        }
        catch (ImageDecodeException ex)
        {
            return new MediaHashResult
            {
                Path = name,
                Md5 = md5,
                Sha1 = sha1,
                Sha256 = sha256,
                FileBytes = bytes.Length,
                Error = ex.Reason,
                Failure = ex.Failure,
            };
        }
    }
}
