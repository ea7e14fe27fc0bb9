using Needle.Matching.Lists;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record ListEntriesModel(PageFrame Frame, ListRow List, IReadOnlyList<HashListEntry> Entries, int Page, int PageCount, int PageSize, IReadOnlyList<string> ExportFormats)
{
    /// <summary>The list's entries the flood guard quarantined, with their rates.</summary>
    public IReadOnlyList<Needle.Core.Lists.EntryQuarantine> Quarantined { get; init; } = [];
}
