namespace Needle.Core.Triage;

/// <summary>A link between two reports, seen from <see cref="ReportId"/>.</summary>
/// <param name="ReportId">The report the link is seen from.</param>
/// <param name="OtherReportId">The report it is linked to.</param>
/// <param name="Kind">What the two reports share.</param>
/// <param name="Value">The shared value (an email, an IP, "sha256:…", "pdq:12"...).</param>
/// <param name="FileId">For media links: this report's file.</param>
/// <param name="OtherFileId">For media links: the other report's file.</param>
/// <param name="Distance">For <see cref="LinkKind.SimilarMedia"/>: PDQ bits apart.</param>
/// <param name="CreatedAt">When triage found the link.</param>
public sealed record ReportLink(
    Guid ReportId,
    Guid OtherReportId,
    LinkKind Kind,
    string Value,
    Guid? FileId,
    Guid? OtherFileId,
    int? Distance,
    DateTimeOffset CreatedAt);
