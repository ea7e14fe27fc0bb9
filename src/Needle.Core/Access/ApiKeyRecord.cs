namespace Needle.Core.Access;

/// <summary>An API key as stored: never the key itself, only a salted hash of its secret.</summary>
public sealed record ApiKeyRecord(
    Guid Id,
    string Name,
    ApiRole Role,
    byte[] Salt,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt);
