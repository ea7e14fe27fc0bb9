using Needle.Core.Storage;

namespace Needle.Core.Triage;

/// <summary>A processed file's PDQ, as the near-duplicate index of reports follows them (<see cref="ITriageStore.ReadMediaHashesAsync"/>).</summary>
/// <param name="Sequence">The media sequence the file was stored with; rows come in sequence order.</param>
/// <param name="FileId">The file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="Pdq">The file's PDQ, 64 lowercase hex digits.</param>
/// <param name="Quality">PDQ quality 0-100 (0 when none was recorded); under 50 Meta advises not to match.</param>
public sealed record MediaHashRow(long Sequence, Guid FileId, Guid ReportId, string Pdq, int Quality);
