namespace Needle.Core.Audit;

/// <summary>The result of verifying the audit chain.</summary>
/// <param name="IsIntact">True when every entry links to the one before it and matches its hash.</param>
/// <param name="EntriesChecked">Entries verified before the walk ended (all of them when intact).</param>
/// <param name="BrokenAtSequence">The sequence of the first entry that breaks the chain; null when intact.</param>
/// <param name="Problem">What is wrong there (deleted, inserted or reordered, edited); null when intact.</param>
/// <param name="LastHash">The hash of the last entry (the head of the chain); <see cref="AuditChain.GenesisHash"/> for an empty log, null when broken.</param>
public sealed record AuditVerification(bool IsIntact, long EntriesChecked, long? BrokenAtSequence, string? Problem, string? LastHash)
{
    /// <summary>An intact chain of <paramref name="entries"/> entries ending in <paramref name="lastHash"/>.</summary>
    public static AuditVerification Intact(long entries, string lastHash) => new(true, entries, null, null, lastHash);

    /// <summary>A chain broken at <paramref name="sequence"/> after <paramref name="entries"/> good entries, because of <paramref name="problem"/>.</summary>
    public static AuditVerification Broken(long entries, long sequence, string problem) => new(false, entries, sequence, problem, null);
}
