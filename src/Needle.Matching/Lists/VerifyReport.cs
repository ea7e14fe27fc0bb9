using Needle.Matching.Formats;

namespace Needle.Matching.Lists;

/// <summary>What <see cref="HashListVerifier.Verify"/> found.</summary>
/// <param name="FormatName">The format the file was read as.</param>
/// <param name="RecordsRead">Records seen, valid or not.</param>
/// <param name="EntriesRead">Entries the valid records gave (a record can hold several hashes).</param>
/// <param name="ErrorCount">Invalid records, all of them counted.</param>
/// <param name="Errors">The invalid records kept (up to <see cref="ImportOptions.MaxErrorsKept"/>).</param>
/// <param name="Duplicates">Values held by more than one entry.</param>
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
