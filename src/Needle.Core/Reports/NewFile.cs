namespace Needle.Core.Reports;

/// <summary>A new file of a report. <paramref name="EncryptedMedia"/> is null when only hashes were reported.</summary>
/// <param name="Id">The file's id, chosen at intake.</param>
/// <param name="Ordinal">Position in the submission (0-based).</param>
/// <param name="OriginalName">The file name the reporter gave, else the media part's file name or part name.</param>
/// <param name="ContentType">The media part's content type as sent; null for hashes only.</param>
/// <param name="Size">Bytes of media received, before encryption; 0 for hashes only.</param>
/// <param name="EncryptedMedia">The media, encrypted under the file's id.</param>
/// <param name="ReporterHashes">The reporter's hashes, normalised (lowercase hex, PhotoDNA base64); null when none were given.</param>
public sealed record NewFile(
    Guid Id,
    int Ordinal,
    string? OriginalName,
    string? ContentType,
    long Size,
    byte[]? EncryptedMedia,
    ReporterHashes? ReporterHashes);
