using Needle.Hashing.Decoding;

namespace Needle.Hashing;

/// <summary>
/// The whole content of one file in a pooled buffer, read once so that it can be both hashed
/// (<see cref="ComputeDigests"/>) and decoded (<see cref="ImageDecoder.Decode(FileContents, CancellationToken)"/>).
/// Dispose it to return the buffer.
/// </summary>
public sealed class FileContents : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private FileContents(string? path, byte[] buffer, int length)
    {
        Path = path;
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The path the bytes were read from (or the name given for a stream).</summary>
    public string? Path { get; }

    /// <summary>Number of bytes.</summary>
    public int Length => _length;

    /// <summary>The file's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_buffer is null, this);
            return _buffer.AsMemory(0, _length);
        }
    }

    /// <summary>Reads the whole file at <paramref name="path"/> with one open and one pass.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">Larger files are refused with <see cref="DecodeFailure.FileTooLarge"/> before anything is read.</param>
    /// <param name="cancellationToken">Checked before reading.</param>
    /// <exception cref="ImageDecodeException"><see cref="DecodeFailure.Unreadable"/> or <see cref="DecodeFailure.FileTooLarge"/>.</exception>
    public static FileContents Read(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();
        Stream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable, Describe(e, path), e);
        }

        using (stream)
        {
            return ReadStream(stream, path, maxBytes, cancellationToken);
        }
    }

    /// <summary>Reads <paramref name="stream"/> from its position to its end (at most <paramref name="maxBytes"/>); does not dispose it.</summary>
    /// <exception cref="ImageDecodeException"><see cref="DecodeFailure.Unreadable"/> or <see cref="DecodeFailure.FileTooLarge"/>.</exception>
    public static FileContents ReadStream(Stream stream, string? nameForErrors, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var limit = Math.Min(maxBytes, Array.MaxLength);
        byte[]? buffer = null;
        try
        {
            var total = 0;
            if (stream.CanSeek)
            {
                // Known length: refuse before reading, then read straight into a buffer of the right size.
                var length = Math.Max(0, stream.Length - stream.Position);
                if (length > limit)
                {
                    throw TooLarge(nameForErrors, length, maxBytes);
                }

                buffer = DecodeBuffers.Rent((int)Math.Max(length, 1));
                total = stream.ReadAtLeast(buffer.AsSpan(0, (int)length), (int)length, throwOnEndOfStream: false);
            }
            else
            {
                // Unknown length: read until the end, but never hold more than one byte over the limit.
                var capacity = (int)Math.Min(limit + 1, Array.MaxLength);
                buffer = DecodeBuffers.Rent(Math.Min(64 * 1024, capacity));
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (total == buffer.Length)
                    {
                        if (total >= capacity)
                        {
                            break;
                        }

                        var larger = DecodeBuffers.Rent((int)Math.Min((long)buffer.Length * 2, capacity));
                        buffer.AsSpan(0, total).CopyTo(larger);
                        DecodeBuffers.Return(buffer);
                        buffer = larger;
                    }

                    var read = stream.Read(buffer, total, Math.Min(buffer.Length, capacity) - total);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                }

                if (total > limit || (total == Array.MaxLength && stream.ReadByte() >= 0))
                {
                    throw TooLarge(nameForErrors, total, maxBytes);
                }
            }

            var contents = new FileContents(nameForErrors, buffer, total);
            buffer = null;
            return contents;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new ImageDecodeException(nameForErrors, DecodeFailure.Unreadable, Describe(e, nameForErrors), e);
        }
        finally
        {
            if (buffer is not null)
            {
                DecodeBuffers.Return(buffer);
            }
        }
    }

    /// <summary>MD5, SHA-1 and SHA-256 of the bytes.</summary>
    public FileDigests ComputeDigests() => FileDigests.Compute(Bytes.Span);

    /// <summary>Returns the buffer to the pool; <see cref="Bytes"/> throws afterwards. Safe to call more than once.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            DecodeBuffers.Return(buffer);
        }
    }

    private static ImageDecodeException TooLarge(string? name, long length, long maxBytes) =>
        new(name, DecodeFailure.FileTooLarge, $"the file has at least {length:N0} bytes, more than the limit of {maxBytes:N0} bytes");

    private static string Describe(Exception e, string? path) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file or folder",
        UnauthorizedAccessException when path is not null && Directory.Exists(path) => "this is a folder, not a file",
        UnauthorizedAccessException => "permission to read the file was denied",
        _ => $"the file could not be read ({e.Message})",
    };
}
