namespace Needle.Application.Intake;

/// <summary>One media part of a multipart submission.</summary>
/// <param name="PartName">The multipart part name; <see cref="Needle.Core.Reports.SubmittedFile.Part"/> refers to it.</param>
/// <param name="FileName">The part's file name, if sent.</param>
/// <param name="ContentType">The part's content type, if sent.</param>
/// <param name="Bytes">The media, in clear; intake encrypts it before storing.</param>
public sealed record IncomingMedia(string PartName, string? FileName, string? ContentType, byte[] Bytes);
