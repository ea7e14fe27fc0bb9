using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>A list file to import, on local disk (or still arriving there: <see cref="Upload"/>).</summary>
public sealed record ListImportRequest
{
    /// <summary>The import's id (its job); a new one unless the caller needs to know it before the import starts.</summary>
    public Guid Id { get; init; } = Guid.NewGuid();

    /// <summary>When set, <see cref="FilePath"/> is still being uploaded: the import reads it as it grows (and fails if the upload does).</summary>
    public UploadSpool? Upload { get; init; }

    /// <summary>The file is gzip-compressed even without the magic bytes (Content-Encoding: gzip); gzip is detected anyway.</summary>
    public bool Gzip { get; init; }

    /// <summary>The largest decompressed list accepted from a gzip file (a "gzip bomb" fails the import); null for no limit.</summary>
    public long? MaxDecompressedBytes { get; init; }

    /// <summary>The list to import into (created when missing).</summary>
    public required string ListName { get; init; }

    /// <summary>The file; the import deletes it when done.</summary>
    public required string FilePath { get; init; }

    /// <summary>csv, text, vics, icse, ncmec, stopncii or needle; null to detect.</summary>
    public string? Format { get; init; }

    /// <summary>Import the valid records and report the invalid ones, instead of importing nothing.</summary>
    public bool SkipInvalid { get; init; }

    /// <summary>The kind of a list created by the import (the file's header, else known, when null).</summary>
    public HashListKind? Kind { get; init; }

    /// <summary>Who imports (audited).</summary>
    public required string Actor { get; init; }

    /// <summary>From where (audited).</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>The process running it (host/pid/0), so a restarted node can tell its own dead imports.</summary>
    public required string Node { get; init; }
}
