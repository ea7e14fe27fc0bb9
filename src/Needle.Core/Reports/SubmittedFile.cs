namespace Needle.Core.Reports;

/// <summary>One file of a submission.</summary>
public sealed record SubmittedFile
{
    /// <summary>Name of the multipart part carrying the media; null when only hashes are reported.</summary>
    public string? Part { get; init; }

    /// <summary>The file's name on the reporter's side.</summary>
    public string? OriginalName { get; init; }

    /// <summary>Hashes the reporter computed (hex; PDQ as 64 hex digits), checked against Needle's own when media is sent.</summary>
    public ReporterHashes? Hashes { get; init; }
}
