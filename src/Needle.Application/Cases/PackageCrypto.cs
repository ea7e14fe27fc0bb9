using System.Security.Cryptography;
using System.Text;

namespace Needle.Application.Cases;

/// <summary>
/// The keys of an export package, from its passphrase: PBKDF2-HMAC-SHA256 over the passphrase and a random 16-byte salt
/// gives 64 bytes, the first 32 an AES-256-GCM key for the media, the last 32 an HMAC-SHA256 key over the manifest.
/// </summary>
internal sealed class PackageCrypto : IDisposable
{
    public const string Kdf = "PBKDF2-HMAC-SHA256";
    public const string Cipher = "AES-256-GCM";
    public const int SaltLength = 16;
    public const int MinimumPassphraseLength = 12;

    /// <summary>Iterations when exporting: OWASP's 2023 figure for PBKDF2-HMAC-SHA256.</summary>
    public const int Iterations = 600_000;

    /// <summary>Accepted on import: not below a safe floor, not so high a package could stall the server.</summary>
    public const int MinimumIterations = 100_000;
    public const int MaximumIterations = 10_000_000;

    private const int NonceLength = 12;
    private const int TagLength = 16;
    private readonly byte[] _keys;

    public PackageCrypto(string passphrase, byte[] salt, int iterations)
    {
        _keys = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(passphrase), salt, iterations, HashAlgorithmName.SHA256, 64);
    }

    /// <summary>nonce (12) ‖ ciphertext ‖ tag (16), the file id bound as associated data (an entry cannot stand for another file).</summary>
    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, Guid fileId)
    {
        var output = new byte[NonceLength + plaintext.Length + TagLength];
        var nonce = output.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys.AsSpan(0, 32), TagLength);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceLength, plaintext.Length), output.AsSpan(NonceLength + plaintext.Length), Associated(fileId));
        return output;
    }

    /// <exception cref="AuthenticationTagMismatchException">Wrong key or altered bytes.</exception>
    public byte[] Decrypt(ReadOnlySpan<byte> envelope, Guid fileId)
    {
        if (envelope.Length < NonceLength + TagLength)
        {
            throw new AuthenticationTagMismatchException();
        }

        var plaintext = new byte[envelope.Length - NonceLength - TagLength];
        using var aes = new AesGcm(_keys.AsSpan(0, 32), TagLength);
        aes.Decrypt(envelope[..NonceLength], envelope.Slice(NonceLength, plaintext.Length), envelope[^TagLength..], plaintext, Associated(fileId));
        return plaintext;
    }

    /// <summary>HMAC-SHA256 of <paramref name="text"/> under the MAC key, lowercase hex.</summary>
    public string Mac(string text) => Convert.ToHexStringLower(HMACSHA256.HashData(_keys.AsSpan(32, 32), Encoding.UTF8.GetBytes(text)));

    public void Dispose() => CryptographicOperations.ZeroMemory(_keys);

    private static byte[] Associated(Guid fileId) => Encoding.ASCII.GetBytes($"needle-export-media/1/{fileId:N}");
}
