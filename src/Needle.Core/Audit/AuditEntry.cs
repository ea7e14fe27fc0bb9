namespace Needle.Core.Audit;

/// <summary>A chained audit entry: <see cref="Hash"/> = SHA-256 over the previous hash and this entry's fields (see <see cref="AuditChain"/>).</summary>
/// <param name="Sequence">Position in the log: 1 for the first entry, then consecutive.</param>
/// <param name="At">When it happened, in UTC, to the tick.</param>
/// <param name="Actor">Who: the API key id (or "system", "cli").</param>
/// <param name="Action">What, e.g. "report.submit", "media.read", "list.create", "key.revoke".</param>
/// <param name="Target">On what, e.g. "report/{id}".</param>
/// <param name="Details">Optional JSON with more facts.</param>
/// <param name="RemoteAddress">From where (the client address), when known.</param>
/// <param name="PreviousHash">The previous entry's <paramref name="Hash"/>; <see cref="AuditChain.GenesisHash"/> for the first entry.</param>
/// <param name="Hash">SHA-256 (64 lowercase hex digits) over <paramref name="PreviousHash"/> and the fields above.</param>
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
