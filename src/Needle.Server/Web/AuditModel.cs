using Needle.Core.Audit;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record AuditModel(PageFrame Frame, AuditFilters Filters, IReadOnlyList<AuditEntry> Entries, long? Before, long? Next, AuditVerification Verification, IReadOnlyList<string> Actions)
{
    /// <summary>The names of the keys that appear as actors (key id in "N" form to name).</summary>
    public IReadOnlyDictionary<string, string> Names { get; init; } = new Dictionary<string, string>();

    /// <summary>The actor's name when it is a key's id, else the actor as logged ("system", "anonymous").</summary>
    public string ActorName(string actor) => Names.TryGetValue(actor, out var name) ? name : actor;
}
