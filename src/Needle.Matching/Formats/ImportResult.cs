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

    /// <summary>Records seen, valid or not (lines with a hash, JSON records, XML items).</summary>
    public int RecordsRead { get; }
}
