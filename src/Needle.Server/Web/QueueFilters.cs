// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record QueueFilters(string State, string? Jurisdiction, string? Country, string? List, string? Reporter)
{
    /// <summary>Show reports claimed by others too (left out by default).</summary>
    public bool ShowClaimed { get; init; }

    /// <summary>"table" for the compact table, null for the cards.</summary>
    public string? View { get; init; }

    /// <summary>How the whole queue is ordered (every page follows it): "score" (default), "age" (oldest first) or "files" (most first).</summary>
    public string? Sort { get; init; }

    /// <summary>Whether any filter narrows the queue (beyond the default state): an empty answer then says so.</summary>
    public bool Narrowed => Jurisdiction is not null || Country is not null || List is not null || Reporter is not null
        || State != "AwaitingReview";

    /// <summary>The same filters with another view or order.</summary>
    public string With(string? view, string? sort) => (this with { View = view, Sort = sort }).ToQuery(null);

    /// <summary>The query string of these filters (for the next-page link).</summary>
    public string ToQuery(string? after)
    {
        var parts = new List<string> { "state=" + Uri.EscapeDataString(State) };
        Add(parts, "jurisdiction", Jurisdiction);
        Add(parts, "country", Country);
        Add(parts, "list", List);
        Add(parts, "reporter", Reporter);
        Add(parts, "claimed", ShowClaimed ? "show" : null);
        Add(parts, "view", View);
        Add(parts, "sort", Sort);
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
