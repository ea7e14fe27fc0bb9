using Needle.Core.Storage;

namespace Needle.Core.Triage;

/// <summary>A processed file's PDQ, as the near-duplicate index of reports follows them (<see cref="ITriageStore.ReadMediaHashesAsync"/>).</summary>
public sealed record MediaHashRow(long Sequence, Guid FileId, Guid ReportId, string Pdq, int Quality);
