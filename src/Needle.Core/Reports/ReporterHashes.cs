namespace Needle.Core.Reports;

/// <summary>Hashes computed by the reporter.</summary>
public sealed record ReporterHashes
{
    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    /// <summary>PhotoDNA, base64 of the 144 bytes.</summary>
    public string? PhotoDna { get; init; }
}
