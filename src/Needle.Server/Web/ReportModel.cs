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
    CaseModel? Case = null)
{
    /// <summary>The name of the reviewer holding the report when it is not the viewer: the page is read-only.</summary>
    public string? HeldBy { get; init; }

    /// <summary>Whether the viewer may reveal and decide (nobody else holds the report).</summary>
    public bool CanAct => HeldBy is null;

    /// <summary>The files still to review, grouped in series of near-duplicates (PDQ), in file order.</summary>
    public IReadOnlyList<FileSeries> Series { get; init; } = [];

    /// <summary>The viewer's decisions on this report still inside their undo window.</summary>
    public IReadOnlyList<Needle.Application.Review.PendingDecision> Pending { get; init; } = [];

    /// <summary>The reports of the bundle (a decision applied to the bundle touches them), named.</summary>
    public IReadOnlyList<RelatedReport> BundleReports { get; init; } = [];

    /// <summary>How long a decision can be undone.</summary>
    public TimeSpan UndoWindow { get; init; }
}
