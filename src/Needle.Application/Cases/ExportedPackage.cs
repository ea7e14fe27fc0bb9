namespace Needle.Application.Cases;

/// <summary>An export package: one zip file to hand to the recipient of a referral.</summary>
/// <param name="FileName">A file name for it, e.g. <c>needle-report-{id}.zip</c>.</param>
/// <param name="Content">The zip's bytes.</param>
/// <param name="MediaFiles">How many files' media it holds (encrypted); 0 when none was asked for.</param>
public sealed record ExportedPackage(string FileName, byte[] Content, int MediaFiles);
