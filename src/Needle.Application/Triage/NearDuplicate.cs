namespace Needle.Application.Triage;

/// <summary>A file of another report whose image is within the PDQ threshold of a query.</summary>
public sealed record NearDuplicate(Guid FileId, Guid ReportId, int Distance);
