using System.Security.Cryptography;
using System.Text.Json;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Application.Access;

/// <summary>
/// Creates, verifies and revokes API keys. A key reads <c>ndl_&lt;32 hex id&gt;_&lt;base64url 32-byte secret&gt;</c>: the id
/// finds the record in one lookup, and only HMAC-SHA256(salt, secret) is stored, so a leaked database yields no key.
/// </summary>
public sealed class ApiKeyService
{
    internal const string Prefix = "ndl_";
    internal const int SecretBytes = 32;
    internal const int SaltBytes = 16;

    // "ndl_" + 32 hex + "_" + 43 base64url characters (32 bytes, unpadded).
    private const int IdHexLength = 32;
    private const int SecretTextLength = 43;
    internal const int KeyLength = 4 + IdHexLength + 1 + SecretTextLength;
    private const int MaxNameLength = 200;

    private readonly IApiKeyStore _keys;
    private readonly TimeProvider _time;

    /// <summary>A key service over <paramref name="keys"/>.</summary>
    /// <param name="keys">Where key records (never secrets) are stored.</param>
    /// <param name="time">The clock for creation times, expiry and revocation.</param>
    public ApiKeyService(IApiKeyStore keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        _keys = keys;
        _time = time;
    }

    /// <summary>Creates a key and audits it ("key.create", in the same transaction, with <paramref name="actor"/> and <paramref name="remoteAddress"/>); the returned <see cref="CreatedApiKey.Key"/> is the only copy of the secret.</summary>
    /// <exception cref="ArgumentException">The name is empty or too long, or <paramref name="expiresAt"/> is not in the future.</exception>
    public async Task<CreatedApiKey> CreateAsync(string name, ApiRole role, DateTimeOffset? expiresAt, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (name.Length > MaxNameLength)
        {
            throw new ArgumentException($"A key name is at most {MaxNameLength} characters.", nameof(name));
        }

        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role.");
        }

        var now = _time.GetUtcNow();
        if (expiresAt is { } expiry && expiry <= now)
        {
            throw new ArgumentException("The expiry must be in the future.", nameof(expiresAt));
        }

        var id = Guid.CreateVersion7(now);
        var secret = RandomNumberGenerator.GetBytes(SecretBytes);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        try
        {
            var record = new ApiKeyRecord(id, name.Trim(), role, salt, HashSecret(salt, secret), now, expiresAt, null);
            var details = JsonSerializer.Serialize(new KeyAuditDetails(record.Name, role.ToString(), expiresAt), DocumentJson.Options);
            await _keys.CreateAsync(record, new AuditEntryDraft(actor, "key.create", $"key/{id:N}", details, remoteAddress), ct).ConfigureAwait(false);
            return new CreatedApiKey(record, Format(id, secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The key's record when it is well formed, known, its secret right, not revoked and not expired; otherwise null.</summary>
    public async Task<ApiKeyRecord?> AuthenticateAsync(string presentedKey, CancellationToken ct = default)
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        if (!TryParse(presentedKey, out var id, secret))
        {
            return null;
        }

        var record = await _keys.FindAsync(id, ct).ConfigureAwait(false);
        if (record is null || record.Salt.Length == 0)
        {
            return null;
        }

        // Re-parse: a stackalloc'd span cannot live across the await above.
        Span<byte> again = stackalloc byte[SecretBytes];
        if (!TryParse(presentedKey, out _, again))
        {
            return null;
        }

        Span<byte> computed = stackalloc byte[32];
        HMACSHA256.HashData(record.Salt, again, computed);
        var secretMatches = CryptographicOperations.FixedTimeEquals(computed, record.SecretHash);
        CryptographicOperations.ZeroMemory(again);
        if (!secretMatches)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (record.RevokedAt is not null || record.ExpiresAt is { } expiry && expiry <= now)
        {
            return null;
        }

        return record;
    }

    /// <summary>
    /// Revokes a key and audits it ("key.revoke", in the same transaction, with <paramref name="actor"/> and
    /// <paramref name="remoteAddress"/>); false (and nothing audited) when there is no such key or it was already revoked.
    /// </summary>
    public Task<bool> RevokeAsync(Guid id, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return _keys.RevokeAsync(id, _time.GetUtcNow(), new AuditEntryDraft(actor, "key.revoke", $"key/{id:N}", null, remoteAddress), ct);
    }

    /// <summary>The key id of a well-formed key text (for logging who failed to authenticate), without checking the secret.</summary>
    public static bool TryGetKeyId(string? presentedKey, out Guid id)
    {
        Span<byte> secret = stackalloc byte[SecretBytes];
        var ok = TryParse(presentedKey, out id, secret);
        CryptographicOperations.ZeroMemory(secret);
        return ok;
    }

    internal static string Format(Guid id, ReadOnlySpan<byte> secret) =>
        Prefix + id.ToString("N") + "_" + Base64UrlEncode(secret);

    internal static byte[] HashSecret(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> secret) => HMACSHA256.HashData(salt, secret);

    private static bool TryParse(string? text, out Guid id, Span<byte> secret)
    {
        id = Guid.Empty;
        if (text is null || text.Length != KeyLength || !text.StartsWith(Prefix, StringComparison.Ordinal) || text[Prefix.Length + IdHexLength] != '_')
        {
            return false;
        }

        var idText = text.AsSpan(Prefix.Length, IdHexLength);
        foreach (var c in idText)
        {
            // Lowercase only, as Format writes it: one key has one spelling.
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }

        if (!Guid.TryParseExact(idText, "N", out id))
        {
            return false;
        }

        return TryBase64UrlDecode(text.AsSpan(Prefix.Length + IdHexLength + 1), secret);
    }

    private static string Base64UrlEncode(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64UrlDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.Length != SecretTextLength)
        {
            return false;
        }

        Span<char> standard = stackalloc char[SecretTextLength + 1];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '+' or '/' or '=')
            {
                return false; // base64url only
            }

            standard[i] = c switch { '-' => '+', '_' => '/', _ => c };
        }

        standard[SecretTextLength] = '=';
        if (!Convert.TryFromBase64Chars(standard, destination, out var written) || written != SecretBytes)
        {
            return false;
        }

        // Reject non-canonical encodings (stray low bits in the last character), so one secret has one text.
        Span<char> canonical = stackalloc char[SecretTextLength + 1];
        return Convert.TryToBase64Chars(destination, canonical, out _) && canonical.SequenceEqual(standard);
    }

    private sealed record KeyAuditDetails(string Name, string Role, DateTimeOffset? ExpiresAt);
}
