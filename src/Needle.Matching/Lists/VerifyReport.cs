using Needle.Matching.Formats;

namespace Needle.Matching.Lists;

/// <summary>What <see cref="HashListVerifier.Verify"/> found.</summary>
public sealed record VerifyReport(
    string FormatName,
    int RecordsRead,
    int EntriesRead,
    int ErrorCount,
    IReadOnlyList<ImportError> Errors,
    IReadOnlyList<DuplicateGroup> Duplicates)
{
    /// <summary>No invalid records and no duplicates.</summary>
    public bool IsClean => ErrorCount == 0 && Duplicates.Count == 0;
}
