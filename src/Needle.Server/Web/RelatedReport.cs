using Needle.Core.Triage;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

/// <summary>A related report and the reasons it is linked.</summary>
public sealed record RelatedReport(Guid ReportId, string? ExternalId, IReadOnlyList<ReportLink> Links);
