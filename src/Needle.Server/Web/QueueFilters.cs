// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

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
