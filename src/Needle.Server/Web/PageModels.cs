using Needle.Core.Audit;
using Needle.Core.Reports;
using Needle.Core.Triage;
using Needle.Matching.Lists;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

/// <summary>What every page's frame needs: who is signed in, the anti-forgery token for its forms, the break reminder.</summary>
public sealed record PageFrame(string Title, WebUser? User, string CsrfField, string CsrfToken, string Section)
{
    /// <summary>Minutes of continuous review before the break reminder (0: none; pages other than review pass 0).</summary>
    public int BreakMinutes { get; init; }

    /// <summary>A one-line notice at the top of the page (what just happened).</summary>
    public string? Notice { get; init; }

    /// <summary>A one-line error at the top of the page.</summary>
    public string? Error { get; init; }
}

public sealed record SignInModel(PageFrame Frame, string? ReturnUrl, string? Problem, bool SignedOut);

public sealed record QueueFilters(string State, string? Jurisdiction, string? Country, string? List, string? Reporter)
{
    /// <summary>The query string of these filters (for the next-page link).</summary>
    public string ToQuery(string? after)
    {
        var parts = new List<string> { "state=" + Uri.EscapeDataString(State) };
        Add(parts, "jurisdiction", Jurisdiction);
        Add(parts, "country", Country);
        Add(parts, "list", List);
        Add(parts, "reporter", Reporter);
        Add(parts, "after", after);
        return "?" + string.Join('&', parts);
    }

    private static void Add(List<string> parts, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            parts.Add(name + "=" + Uri.EscapeDataString(value));
        }
    }
}

public sealed record QueueModel(PageFrame Frame, QueueFilters Filters, IReadOnlyList<QueueItem> Items, string? Next, IReadOnlyList<string> ListNames, DateTimeOffset Now, string Viewer);

/// <summary>One file of a report as the report page shows it.</summary>
public sealed record ReviewFile(
    StoredFile File,
    FileDecision? Current,
    IReadOnlyList<FileDecision> History,
    bool IsVideo,
    bool CanPreview);

/// <summary>A related report and the reasons it is linked.</summary>
public sealed record RelatedReport(Guid ReportId, string? ExternalId, IReadOnlyList<ReportLink> Links);

public sealed record MapMarker(double X, double Y, string Label);

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
    string Viewer);

public sealed record ListRow(string Name, HashListKind Kind, int PdqThreshold, double PhotoDnaThreshold, int Entries, int Enabled);

public sealed record ListsModel(PageFrame Frame, IReadOnlyList<ListRow> Lists, IReadOnlyList<string> ImportFormats, IReadOnlyList<string> ExportFormats);

public sealed record ListEntriesModel(PageFrame Frame, ListRow List, IReadOnlyList<HashListEntry> Entries, int Page, int PageCount, int PageSize, IReadOnlyList<string> ExportFormats);

public sealed record AuditFilters(string? Action, string? Actor, string? Target);

public sealed record AuditModel(PageFrame Frame, AuditFilters Filters, IReadOnlyList<AuditEntry> Entries, long? Before, long? Next, AuditVerification Verification, IReadOnlyList<string> Actions);

public sealed record PreferencesModel(PageFrame Frame, ReviewSettings Effective, ReviewSettings Org, ReviewSettings? User, bool CanEditOrg);
