namespace Needle.Core.Reports;

/// <summary>Stored media of one file, still encrypted.</summary>
/// <param name="FileId">The file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="ContentType">The content type as sent, if any.</param>
/// <param name="OriginalName">The file's name, if known.</param>
/// <param name="EncryptedBytes">The media, encrypted under the file's id.</param>
public sealed record StoredMedia(Guid FileId, Guid ReportId, string? ContentType, string? OriginalName, byte[] EncryptedBytes);
