namespace Needle.Core.Audit;

/// <summary>An audit event before it is chained.</summary>
/// <param name="Actor">Who: the API key id (or "system", "cli").</param>
/// <param name="Action">What, e.g. "report.submit", "media.read", "list.create", "key.revoke".</param>
/// <param name="Target">On what, e.g. "report/{id}".</param>
/// <param name="Details">Optional JSON with more facts.</param>
/// <param name="RemoteAddress">From where.</param>
public sealed record AuditEntryDraft(string Actor, string Action, string Target, string? Details, string? RemoteAddress);
