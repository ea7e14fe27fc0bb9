using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>A file format hash lists are imported from and exported to.</summary>
public interface IHashListFormat
{
    /// <summary>Short name used to force the format (<c>csv</c>, <c>vics</c>, ...).</summary>
    string Name { get; }

    /// <summary>
    /// How confident this format is that a file starting with <paramref name="head"/> is its own: 0 (no) to 1 (sure).
    /// <paramref name="head"/> is the first few KiB; <paramref name="fileName"/> may break ties by extension.
    /// </summary>
    double Detect(ReadOnlySpan<byte> head, string? fileName);

    /// <summary>Reads a list. Throws <see cref="HashListFormatException"/> on invalid input unless <see cref="ImportOptions.SkipInvalid"/>.</summary>
    ImportResult Read(Stream stream, ImportOptions options);

    /// <summary>Writes a list. Throws <see cref="NotSupportedException"/> when the format cannot hold some entries.</summary>
    void Write(HashList list, Stream stream);
}

/// <summary>How to import.</summary>
public sealed record ImportOptions
{
    /// <summary>Import the valid records and return the invalid ones in <see cref="ImportResult.Errors"/>, instead of importing nothing.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>Name for the list; default: the name in the file (native format) or the file name without extension.</summary>
    public string? ListName { get; init; }

    /// <summary>Kind of the list (the native format's header wins when this is null).</summary>
    public HashListKind? Kind { get; init; }

    /// <summary>File name, used in error messages, as default list name and as entry Source.</summary>
    public string? FileName { get; init; }

    /// <summary>
    /// For the <c>text</c> format: the signal type of every line. Without it a line is PDQ (a 64-hex line could also be
    /// SHA-256, so it must be forced).
    /// </summary>
    public SignalType? SignalType { get; init; }

    /// <summary>How many errors the exception message lists.</summary>
    public int MaxErrorsInMessage { get; init; } = 10;

    /// <summary>Longest accepted line in characters; longer lines are invalid records.</summary>
    public int MaxLineLength { get; init; } = 1 << 20;

    /// <summary>Largest single JSON record or XML document part in bytes before the file is rejected.</summary>
    public int MaxRecordBytes { get; init; } = 16 << 20;

    /// <summary>Deepest JSON nesting accepted.</summary>
    public int MaxJsonDepth { get; init; } = 32;

    /// <summary>Stop collecting errors after this many (the import still fails or skips them all).</summary>
    public int MaxErrorsKept { get; init; } = 10_000;
}

/// <summary>One invalid record.</summary>
/// <param name="Record">1-based line number (line formats) or record number (JSON array elements, XML items).</param>
/// <param name="Field">The field at fault, if one.</param>
/// <param name="Reason">What is wrong.</param>
public sealed record ImportError(int Record, string? Field, string Reason)
{
    public override string ToString() => Field is null ? $"record {Record}: {Reason}" : $"record {Record}, field {Field}: {Reason}";
}

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

    public string FormatName { get; }

    public HashList List { get; }

    /// <summary>Skipped records (only with SkipInvalid), up to <see cref="ImportOptions.MaxErrorsKept"/>.</summary>
    public IReadOnlyList<ImportError> Errors { get; }

    /// <summary>Total number of invalid records, even past the ones kept.</summary>
    public int ErrorCount { get; }

    /// <summary>Records seen, valid or not (lines with a hash, JSON records, XML items).</summary>
    public int RecordsRead { get; }
}

/// <summary>A list file could not be imported.</summary>
public sealed class HashListFormatException : Exception
{
    public HashListFormatException()
        : this(null, [], 0, null)
    {
    }

    public HashListFormatException(string message)
        : base(message)
    {
        Errors = [];
    }

    public HashListFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    internal HashListFormatException(string? fileName, IReadOnlyList<ImportError> errors, int errorCount, Exception? inner)
        : base(BuildMessage(fileName, errors, errorCount), inner)
    {
        FileName = fileName;
        Errors = errors;
        ErrorCount = errorCount;
    }

    public string? FileName { get; }

    /// <summary>The first errors (up to <see cref="ImportOptions.MaxErrorsInMessage"/>).</summary>
    public IReadOnlyList<ImportError> Errors { get; }

    public int ErrorCount { get; }

    private static string BuildMessage(string? fileName, IReadOnlyList<ImportError> errors, int errorCount)
    {
        var name = fileName ?? "(stream)";
        var noun = errorCount == 1 ? "error" : "errors";
        var shown = string.Join("; ", errors);
        var more = errorCount > errors.Count ? $"; and {errorCount - errors.Count} more" : string.Empty;
        return $"{name}: {errorCount} {noun}, nothing imported: {shown}{more}";
    }
}
