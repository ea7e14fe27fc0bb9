namespace Needle.Core.Exchanges;

/// <summary>The providers an exchange can keep a list in step with.</summary>
public static class ExchangeKinds
{
    /// <summary>Another Needle server's list, through its <c>/api/v1/lists/{name}/changes</c> feed.</summary>
    public const string Needle = "needle";

    /// <summary>StopNCII.org's <c>FetchHashes</c>.</summary>
    public const string StopNcii = "stopncii";

    /// <summary>NCMEC's hash-sharing API v2.</summary>
    public const string Ncmec = "ncmec";

    /// <summary>Meta ThreatExchange's <c>threat_updates</c> of a privacy group.</summary>
    public const string ThreatExchange = "threatexchange";

    /// <summary>Every kind, in the order the API lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Needle, StopNcii, Ncmec, ThreatExchange];

    /// <summary>True when <paramref name="kind"/> is one of <see cref="All"/> (exact, lower case).</summary>
    public static bool IsKnown(string? kind) => kind is Needle or StopNcii or Ncmec or ThreatExchange;
}
