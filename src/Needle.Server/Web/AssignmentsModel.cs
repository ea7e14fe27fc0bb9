// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record AssignmentsModel(PageFrame Frame, IReadOnlyList<(string Id, string Name)> Reviewers, string? ReportId);
