using Needle.Core.Reports;
using Needle.Core.Triage;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record ReportModel(
    PageFrame Frame,
    StoredReport Report,
    PriorityScore? Score,
    ReportClaim? Claim,
    IReadOnlyList<ReviewFile> Files,
    IReadOnlyList<RelatedReport> Related,
    int BundleSize,
    ReviewSettings Settings,
    IReadOnlyList<MapMarker> Markers,
    string Viewer,
    CaseModel? Case = null);
