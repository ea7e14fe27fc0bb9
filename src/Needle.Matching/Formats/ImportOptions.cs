using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

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

    /// <summary>
    /// Folder for a temporary file holding the entries' details (labels, metadata) so that memory holds only what
    /// matching needs; null keeps the details in memory. See <see cref="HashList(string, HashListKind, string?)"/>.
    /// </summary>
    public string? DetailDirectory { get; init; }

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

    /// <summary>
    /// When set, each valid entry is handed to it (with the list as the file describes it: name, kind, thresholds) as
    /// its record ends, instead of being kept in <see cref="ImportResult.List"/>, which stays empty: an import of any
    /// size then costs no memory per entry. Entries keep the file's ids (0 when it has none); duplicate ids are not checked.
    /// </summary>
    public Action<HashList, HashListEntry>? EntrySink { get; init; }

    /// <summary>
    /// When set (and <see cref="EntrySink"/> is not), each valid entry goes here as bytes instead of into the list:
    /// the native format reads its usual lines straight into the row, other entries are copied into it. The row is
    /// reused; it is valid during the call only.
    /// </summary>
    public Action<ImportRow>? RowSink { get; init; }

    /// <summary>Called every <see cref="ProgressInterval"/> records with the records read and the invalid ones so far.</summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>Records between two <see cref="Progress"/> calls.</summary>
    public int ProgressInterval { get; init; } = 4096;
}
