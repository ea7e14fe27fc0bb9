namespace Needle.Application.Cases;

/// <summary>What an import re-created.</summary>
/// <param name="ReportId">The report's id (the same as on the exporting server).</param>
/// <param name="Files">Its files.</param>
/// <param name="MediaFiles">Files whose media came with the package.</param>
/// <param name="Decisions">Decisions re-created (every file's history).</param>
public sealed record ImportedPackage(Guid ReportId, int Files, int MediaFiles, int Decisions);
