using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>What an import produced.</summary>
public sealed class ImportResult
{
    internal ImportResult(string formatName, HashList list, IReadOnlyList<ImportError> errors, int recordsRead, int errorCount)
    {
        FormatName = formatName;
        List = list;
        Errors = errors;
        RecordsRead = recordsRead;
        ErrorCount = errorCount;
    }

    /// <summary>Name of the format the file was read as, detected or forced (<c>csv</c>, <c>vics</c>, ...).</summary>
    public string FormatName { get; }

    /// <summary>The imported list, holding the valid records' entries.</summary>
    public HashList List { get; }

    /// <summary>Skipped records (only with SkipInvalid), up to <see cref="ImportOptions.MaxErrorsKept"/>.</summary>
    public IReadOnlyList<ImportError> Errors { get; }

    /// <summary>Total number of invalid records, even past the ones kept.</summary>
    public int ErrorCount { get; }

    /// <summary>
    /// Values skipped because they can never match (the all-zero PDQ hash of an image too small to hash), up to
    /// <see cref="ImportOptions.MaxErrorsKept"/>: warnings, never a reason to refuse the list.
    /// </summary>
    public IReadOnlyList<ImportError> Warnings { get; init; } = [];

    /// <summary>Total number of values skipped with a warning, even past the ones kept.</summary>
    public int WarningCount { get; init; }

    /// <summary>Items the source says are gone (provider tombstones); never in <see cref="List"/>.</summary>
    public IReadOnlyList<ImportTombstone> Tombstones { get; init; } = [];

    /// <summary>The record number each entry of <see cref="List"/> came from, in the same order (to interleave entries and tombstones as the source ordered them).</summary>
    public IReadOnlyList<int> EntryRecords { get; init; } = [];

    /// <summary>The paging a provider's response carried (next page, checkpoint); null for a plain file.</summary>
    public FeedPosition? Feed { get; init; }

    /// <summary>Records seen, valid or not (lines with a hash, JSON records, XML items).</summary>
    public int RecordsRead { get; }
}
