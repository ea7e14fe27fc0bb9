using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Needle.Application.Media;

/// <summary>
/// Encrypts media at rest with AES-256-GCM. Envelope (version 1):
/// <c>[1: version][4: key id][12: nonce][16: tag][ciphertext]</c>. The nonce is random per message; the associated data
/// binds the version, the key id and the file id, so an envelope moved to another file, edited, or opened with another
/// key fails authentication. The key id (first 4 bytes of SHA-256 of the key) only tells "wrong key" apart from
/// "tampered" in errors and lets a later version pick among several keys.
/// </summary>
/// <remarks>Thread-safe: a fresh <see cref="AesGcm"/> is made per call (cheap next to hashing an image).</remarks>
public sealed class MediaProtector
{
    /// <summary>Bytes an envelope adds to the plaintext.</summary>
    public const int Overhead = HeaderLength + TagLength;

    internal const byte Version1 = 1;
    private const int KeyLength = 32;
    private const int KeyIdLength = 4;
    private const int NonceLength = 12;
    private const int TagLength = 16;
    private const int HeaderLength = 1 + KeyIdLength + NonceLength;

    private readonly byte[] _key;
    private readonly uint _keyId;

    private MediaProtector(ReadOnlySpan<byte> key)
    {
        _key = key.ToArray();
        _keyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key));
    }

    /// <summary>Uses the given 32-byte key.</summary>
    public static MediaProtector FromKey(ReadOnlySpan<byte> key32)
    {
        if (key32.Length != KeyLength)
        {
            throw new ArgumentException($"The media key is {KeyLength} bytes; got {key32.Length}.", nameof(key32));
        }

        return new MediaProtector(key32);
    }

    /// <summary>
    /// Reads the key (base64 text) from <paramref name="keyFilePath"/>, or creates it with a fresh random key readable
    /// by the owner only (0600). Creation writes a temporary file and moves it into place, so a crash never leaves a
    /// half-written key and two processes starting at once end up with the same key.
    /// </summary>
    public static MediaProtector LoadOrCreate(string keyFilePath, out bool created)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyFilePath);
        var path = Path.GetFullPath(keyFilePath);
        if (File.Exists(path))
        {
            created = false;
            return ReadKeyFile(path);
        }

        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var key = RandomNumberGenerator.GetBytes(KeyLength);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(Convert.ToBase64String(key));
                writer.Write('\n');
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
                created = false;
                return ReadKeyFile(path);
            }

            created = true;
            return new MediaProtector(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>The base64 key in an environment variable; null when it is unset or empty.</summary>
    /// <exception cref="InvalidOperationException">The variable is set but is not base64 of 32 bytes.</exception>
    public static MediaProtector? FromEnvironment(string variableName = "NEEDLE_MEDIA_KEY")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(variableName);
        var text = Environment.GetEnvironmentVariable(variableName);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return FromBase64(text, variableName);
    }

    /// <summary>Encrypts <paramref name="plaintext"/> for the file <paramref name="fileId"/>.</summary>
    public byte[] Protect(ReadOnlySpan<byte> plaintext, Guid fileId)
    {
        var envelope = new byte[HeaderLength + TagLength + plaintext.Length];
        envelope[0] = Version1;
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1, KeyIdLength), _keyId);
        var nonce = envelope.AsSpan(1 + KeyIdLength, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        var tag = envelope.AsSpan(HeaderLength, TagLength);
        var ciphertext = envelope.AsSpan(HeaderLength + TagLength);
        Span<byte> associated = stackalloc byte[1 + KeyIdLength + 16];
        WriteAssociatedData(associated, envelope.AsSpan(0, 1 + KeyIdLength), fileId);
        using var aes = new AesGcm(_key, TagLength);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, associated);
        return envelope;
    }

    /// <summary>Decrypts an envelope made by <see cref="Protect"/> for the same file with the same key.</summary>
    /// <exception cref="CryptographicException">The envelope is malformed, of an unknown version, for another key, or was altered, or belongs to another file.</exception>
    public byte[] Unprotect(ReadOnlySpan<byte> envelope, Guid fileId)
    {
        if (envelope.Length < HeaderLength + TagLength)
        {
            throw new CryptographicException("The encrypted media is truncated.");
        }

        if (envelope[0] != Version1)
        {
            throw new CryptographicException($"The encrypted media has unknown envelope version {envelope[0]}.");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(envelope.Slice(1, KeyIdLength)) != _keyId)
        {
            throw new CryptographicException("The media was encrypted with a different key.");
        }

        var nonce = envelope.Slice(1 + KeyIdLength, NonceLength);
        var tag = envelope.Slice(HeaderLength, TagLength);
        var ciphertext = envelope[(HeaderLength + TagLength)..];
        Span<byte> associated = stackalloc byte[1 + KeyIdLength + 16];
        WriteAssociatedData(associated, envelope[..(1 + KeyIdLength)], fileId);
        var plaintext = new byte[ciphertext.Length];
        using var aes = new AesGcm(_key, TagLength);
        try
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext, associated);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CryptographicException("The encrypted media failed authentication: it was altered, or it belongs to another file.", e);
        }

        return plaintext;
    }

    private static void WriteAssociatedData(Span<byte> destination, ReadOnlySpan<byte> versionAndKeyId, Guid fileId)
    {
        versionAndKeyId.CopyTo(destination);
        if (!fileId.TryWriteBytes(destination[versionAndKeyId.Length..], bigEndian: true, out _))
        {
            throw new InvalidOperationException("Could not write the file id.");
        }
    }

    private static MediaProtector ReadKeyFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"The media key file {path} could not be read: {e.Message}", e);
        }

        return FromBase64(text, $"the media key file {path}");
    }

    private static MediaProtector FromBase64(string text, string source)
    {
        var buffer = new byte[KeyLength + 3];
        try
        {
            if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written) || written != KeyLength)
            {
                // Never echo the value: it is (or is close to) a secret.
                throw new InvalidOperationException($"The media key in {source} must be base64 of {KeyLength} bytes.");
            }

            return new MediaProtector(buffer.AsSpan(0, KeyLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
