namespace Needle.Application.Intake;

/// <summary>One media part of a multipart submission.</summary>
public sealed record IncomingMedia(string PartName, string? FileName, string? ContentType, byte[] Bytes);
