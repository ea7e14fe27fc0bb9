namespace Needle.Core.Reports;

/// <summary>A new file of a report. <paramref name="EncryptedMedia"/> is null when only hashes were reported.</summary>
public sealed record NewFile(
    Guid Id,
    int Ordinal,
    string? OriginalName,
    string? ContentType,
    long Size,
    byte[]? EncryptedMedia,
    ReporterHashes? ReporterHashes);
