namespace Needle.Application.Triage;

/// <summary>A file of another report whose image is within the PDQ threshold of a query.</summary>
/// <param name="FileId">The other file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="Distance">PDQ Hamming distance to the query, in bits.</param>
public sealed record NearDuplicate(Guid FileId, Guid ReportId, int Distance);
