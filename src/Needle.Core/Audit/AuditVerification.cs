namespace Needle.Core.Audit;

/// <summary>The result of verifying the audit chain.</summary>
public sealed record AuditVerification(bool IsIntact, long EntriesChecked, long? BrokenAtSequence, string? Problem, string? LastHash)
{
    public static AuditVerification Intact(long entries, string lastHash) => new(true, entries, null, null, lastHash);

    public static AuditVerification Broken(long entries, long sequence, string problem) => new(false, entries, sequence, problem, null);
}
