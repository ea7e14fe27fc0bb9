using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>A list file to import, already on local disk.</summary>
public sealed record ListImportRequest
{
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
