using Needle.Core.Triage;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record QueueModel(PageFrame Frame, QueueFilters Filters, IReadOnlyList<QueueItem> Items, string? Next, IReadOnlyList<string> ListNames, DateTimeOffset Now, string Viewer,
    IReadOnlyDictionary<string, string>? KeyNames = null);
