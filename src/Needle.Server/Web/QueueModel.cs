using Needle.Core.Triage;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record QueueModel(PageFrame Frame, QueueFilters Filters, IReadOnlyList<QueueItem> Items, string? Next, IReadOnlyList<string> ListNames, DateTimeOffset Now, string Viewer,
    IReadOnlyDictionary<string, string>? KeyNames = null)
{
    /// <summary>How many reports match the filters (all pages).</summary>
    public int Total { get; init; }

    /// <summary>When nothing is shown and claimed reports were left out: how many there would be with them.</summary>
    public int HiddenClaimed { get; init; }

    /// <summary>Names of the reviewers holding claims shown on this page, by key id (N form).</summary>
    public IReadOnlyDictionary<string, string> Holders { get; init; } = new Dictionary<string, string>();
}
