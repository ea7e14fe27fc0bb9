namespace Needle.Application.Triage;

/// <summary>A file of another report whose picture looks like the one asked about.</summary>
/// <param name="FileId">The file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="Similarity">Cosine similarity of the two global descriptors (-1..1; copies near 1, the same scene high).</param>
public sealed record SimilarFile(Guid FileId, Guid ReportId, double Similarity);
