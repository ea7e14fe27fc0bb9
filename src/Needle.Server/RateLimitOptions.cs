namespace Needle.Server;

/// <summary>
/// How many requests each API key and each client address may make, per route class: <c>intake</c> (<c>POST
/// /api/v1/reports</c>), <c>lookup</c> (<c>POST /api/v1/lookup</c>, the HMA <c>/h</c> and <c>/m</c> routes),
/// <c>sign-in</c> (<c>POST /signin</c>) and <c>other</c> (every other route but <c>/livez</c>, <c>/readyz</c> and
/// <c>/static</c>). A request over a limit is answered <c>429</c> with <c>Retry-After</c>. Refused sign-ins are also
/// counted per address: after <see cref="RefusedSignInsPerAddress"/> of them in a burst the address is refused until it
/// stays quiet for <see cref="SignInBurstQuiet"/>, and each burst is written to the audit log as one entry with a count.
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>The route classes: intake, lookup, sign-in, other.</summary>
    public static readonly IReadOnlyList<string> RouteClasses = ["intake", "lookup", "sign-in", "other"];

    /// <summary>The roles a per-key limit may name (as <c>submitter:intake</c>).</summary>
    public static readonly IReadOnlyList<string> Roles = ["submitter", "reviewer", "admin", "auditor", "integration", "exchange"];

    /// <summary>False turns the limits off (refused sign-ins are still aggregated in the audit log).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Per key, by route class ("intake") or by role and class ("submitter:intake", which wins over the class alone); a
    /// class with no entry is not limited per key. Requests without a valid API key (the review pages, a bad key) are
    /// limited per address only. Defaults: intake 6000/1m, lookup 600/1m, other 6000/1m.
    /// </summary>
    public IReadOnlyDictionary<string, RateLimit> PerKey { get; init; } = new Dictionary<string, RateLimit>(StringComparer.Ordinal)
    {
        ["intake"] = new(6000, TimeSpan.FromMinutes(1)),
        ["lookup"] = new(600, TimeSpan.FromMinutes(1)),
        ["other"] = new(6000, TimeSpan.FromMinutes(1)),
    };

    /// <summary>
    /// Per client address (all keys and anonymous requests from it together), by route class; a class with no entry is
    /// not limited per address. Defaults: intake 12000/1m, lookup 1200/1m, sign-in 60/1m, other 12000/1m.
    /// </summary>
    public IReadOnlyDictionary<string, RateLimit> PerAddress { get; init; } = new Dictionary<string, RateLimit>(StringComparer.Ordinal)
    {
        ["intake"] = new(12000, TimeSpan.FromMinutes(1)),
        ["lookup"] = new(1200, TimeSpan.FromMinutes(1)),
        ["sign-in"] = new(60, TimeSpan.FromMinutes(1)),
        ["other"] = new(12000, TimeSpan.FromMinutes(1)),
    };

    /// <summary>Refused sign-ins an address may make in one burst before its sign-ins are refused with 429. Default 10.</summary>
    public int RefusedSignInsPerAddress { get; init; } = 10;

    /// <summary>A burst of refused sign-ins ends after this long without another attempt from the address. Default 1 minute.</summary>
    public TimeSpan SignInBurstQuiet { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A burst is written to the audit log at the latest this long after it began, even while it goes on. Default 15 minutes.</summary>
    public TimeSpan MaxSignInBurst { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>No limits at all (refused sign-ins still aggregated): for benchmarks measuring the server's own capacity.</summary>
    public static RateLimitOptions Off { get; } = new() { Enabled = false };

    /// <summary>
    /// These options with <paramref name="spec"/> applied: <c>CLASS=LIMIT</c> or <c>ROLE:CLASS=LIMIT</c> sets a per-key
    /// limit, <c>address:CLASS=LIMIT</c> a per-address one (LIMIT as <see cref="RateLimit.Parse"/> reads it, or
    /// <c>none</c> to remove it); <c>off</c> turns the limits off.
    /// </summary>
    /// <exception cref="FormatException">The text names no known class or role, or its limit is malformed.</exception>
    public RateLimitOptions With(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Trim() == "off")
        {
            return this with { Enabled = false };
        }

        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new FormatException($"A rate limit is [address:|ROLE:]CLASS=PERMITS/WINDOW, as submitter:intake=600/1m; got '{spec}'.");
        }

        var name = spec[..equals].Trim();
        var value = spec[(equals + 1)..].Trim();
        RateLimit? limit = value == "none" ? null : RateLimit.Parse(value);
        var perAddress = name.StartsWith("address:", StringComparison.Ordinal);
        var key = perAddress ? name["address:".Length..] : name;
        CheckName(key, allowRole: !perAddress);
        var table = new Dictionary<string, RateLimit>(perAddress ? PerAddress : PerKey, StringComparer.Ordinal);
        if (limit is null)
        {
            table.Remove(key);
        }
        else
        {
            table[key] = limit;
        }

        return perAddress ? this with { PerAddress = table } : this with { PerKey = table };
    }

    internal void Validate()
    {
        foreach (var (name, limit) in PerKey)
        {
            CheckName(name, allowRole: true);
            limit.Validate($"rate limit {name}");
        }

        foreach (var (name, limit) in PerAddress)
        {
            CheckName(name, allowRole: false);
            limit.Validate($"rate limit address:{name}");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RefusedSignInsPerAddress);
        ArgumentOutOfRangeException.ThrowIfLessThan(SignInBurstQuiet, TimeSpan.FromMilliseconds(100));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSignInBurst, SignInBurstQuiet);
    }

    private static void CheckName(string name, bool allowRole)
    {
        var colon = name.IndexOf(':', StringComparison.Ordinal);
        var routeClass = colon < 0 ? name : name[(colon + 1)..];
        var roleOk = colon < 0 || (allowRole && Roles.Contains(name[..colon]));
        if (!roleOk || !RouteClasses.Contains(routeClass))
        {
            throw new FormatException(
                $"Unknown rate limit '{name}': name a class ({string.Join(", ", RouteClasses)}){(allowRole ? $", or a role and a class ({string.Join(", ", Roles)}), as submitter:intake" : "")}.");
        }
    }
}
