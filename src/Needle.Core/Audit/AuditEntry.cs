namespace Needle.Core.Audit;

/// <summary>A chained audit entry: <see cref="Hash"/> = SHA-256 over the previous hash and this entry's fields (see <see cref="AuditChain"/>).</summary>
public sealed record AuditEntry(
    long Sequence,
    DateTimeOffset At,
    string Actor,
    string Action,
    string Target,
    string? Details,
    string? RemoteAddress,
    string PreviousHash,
    string Hash);
