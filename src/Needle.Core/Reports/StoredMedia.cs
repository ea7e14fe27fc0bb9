namespace Needle.Core.Reports;

/// <summary>Stored media of one file, still encrypted.</summary>
public sealed record StoredMedia(Guid FileId, Guid ReportId, string? ContentType, string? OriginalName, byte[] EncryptedBytes);
