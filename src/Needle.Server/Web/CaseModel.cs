using Needle.Core.Cases;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record CaseModel(
    Guid ReportId,
    ReportAssignment? Assignment,
    IReadOnlyList<ReportOutcome> Outcomes,
    IReadOnlyList<ReportNote> Notes,
    IReadOnlyDictionary<string, string> KeyNames)
{
    /// <summary>A key's name (the audit actor is its id), else its short id.</summary>
    public string Name(string actor) => KeyNames.TryGetValue(actor, out var name) ? name : Format.Abbreviated(actor);
}
