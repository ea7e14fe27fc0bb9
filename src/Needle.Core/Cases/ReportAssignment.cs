namespace Needle.Core.Cases;

/// <summary>A report given to one reviewer by an admin: the reviewer's to work on until reassigned or unassigned.</summary>
/// <param name="ReportId">The report.</param>
/// <param name="AssignedTo">The reviewer (an API key id).</param>
/// <param name="AssignedBy">The admin who assigned it (an API key id).</param>
/// <param name="At">When.</param>
public sealed record ReportAssignment(Guid ReportId, string AssignedTo, string AssignedBy, DateTimeOffset At);
