// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record ListsModel(PageFrame Frame, IReadOnlyList<ListRow> Lists, IReadOnlyList<string> ImportFormats, IReadOnlyList<string> ExportFormats)
{
    /// <summary>The exchanges with their fetch state (admins only reach this page).</summary>
    public IReadOnlyList<Needle.Application.Exchanges.ExchangeOverview> Exchanges { get; init; } = [];

    /// <summary>Each exchange kind and the credentials it takes, for the forms (never their values).</summary>
    public IReadOnlyList<(string Kind, IReadOnlyList<string> Credentials)> ExchangeKinds { get; init; } = [];

    /// <summary>The settings an exchange may have.</summary>
    public IReadOnlyList<string> ExchangeSettings { get; init; } = [];

    /// <summary>The lists the flood guard watches.</summary>
    public IReadOnlySet<string> FloodGuarded { get; init; } = new HashSet<string>();

    /// <summary>Entries in quarantine per list (lists with none are absent).</summary>
    public IReadOnlyDictionary<string, int> Quarantined { get; init; } = new Dictionary<string, int>();

    /// <summary>Every list's quarantined entries with their rates.</summary>
    public IReadOnlyList<Needle.Core.Lists.EntryQuarantine> QuarantinedEntries { get; init; } = [];
}
