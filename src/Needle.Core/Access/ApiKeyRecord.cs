namespace Needle.Core.Access;

/// <summary>An API key as stored: never the key itself, only a salted hash of its secret.</summary>
/// <param name="Id">The key's id: the 32 hex digits after <c>ndl_</c> in the key text.</param>
/// <param name="Name">What the key is for, as its creator named it.</param>
/// <param name="Role">What the key may do.</param>
/// <param name="Salt">Random bytes the secret is hashed with, unique to the key.</param>
/// <param name="SecretHash">HMAC-SHA256 of the secret keyed by <paramref name="Salt"/>; the secret itself is never stored.</param>
/// <param name="CreatedAt">When the key was created.</param>
/// <param name="ExpiresAt">When the key stops working; null for never.</param>
/// <param name="RevokedAt">When the key was revoked; null while it is not.</param>
public sealed record ApiKeyRecord(
    Guid Id,
    string Name,
    ApiRole Role,
    byte[] Salt,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt);
