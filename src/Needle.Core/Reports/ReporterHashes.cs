namespace Needle.Core.Reports;

/// <summary>Hashes computed by the reporter.</summary>
public sealed record ReporterHashes
{
    /// <summary>MD5, 32 hex digits.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-1, 40 hex digits.</summary>
    public string? Sha1 { get; init; }

    /// <summary>SHA-256, 64 hex digits.</summary>
    public string? Sha256 { get; init; }

    /// <summary>PDQ, 64 hex digits in Meta's text form.</summary>
    public string? Pdq { get; init; }

    /// <summary>PhotoDNA, base64 of the 144 bytes.</summary>
    public string? PhotoDna { get; init; }
}
