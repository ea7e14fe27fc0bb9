using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Needle.Triage;

/// <summary>Where reports of one country (or one region of it) go.</summary>
/// <param name="Country">ISO 3166-1 alpha-2, e.g. <c>FR</c>.</param>
/// <param name="Region">ISO 3166-2 region, e.g. <c>CA-ON</c> (or just <c>ON</c>); null for the whole country.</param>
/// <param name="Queue">The review queue, e.g. <c>FR</c>.</param>
/// <param name="Agency">The agency the queue refers to, e.g. <c>OFMIN</c>.</param>
public sealed record JurisdictionRule(string Country, string? Region, string Queue, string? Agency);

/// <summary>The queue for reports no rule claims (or with no location clue at all).</summary>
public sealed record JurisdictionTarget(string Queue, string? Agency);

/// <summary>
/// Routing rules, tried in order: the first rule whose country is the report's and whose region (when the rule names
/// one) is the report's wins; otherwise <see cref="Default"/>. Put region rules before their country's rule.
/// </summary>
public sealed record JurisdictionRules
{
    /// <summary>Everything to the "international" queue.</summary>
    public static JurisdictionRules Default { get; } = new();

    public IReadOnlyList<JurisdictionRule> Rules { get; init; } = [];

    [JsonPropertyName("default")]
    public JurisdictionTarget Fallback { get; init; } = new("international", null);

    /// <summary>Reads and checks a rules file (JSON: <c>{"rules":[{"country","region","queue","agency"}...],"default":{"queue","agency"}}</c>).</summary>
    /// <exception cref="InvalidDataException">The file is not valid rules; the message says what is wrong.</exception>
    public static JurisdictionRules Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JurisdictionRules? rules;
        try
        {
            using var stream = File.OpenRead(path);
            rules = JsonSerializer.Deserialize<JurisdictionRules>(stream, FileJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the routing rules in {path} are not valid JSON: {e.Message}", e);
        }

        return (rules ?? throw new InvalidDataException($"the routing rules file {path} is empty")).Validated(path);
    }

    /// <summary>Checks codes and names, and normalises them (upper case; a bare region code gets its country prefix).</summary>
    public JurisdictionRules Validated(string source = "routing rules")
    {
        var rules = new List<JurisdictionRule>(Rules.Count);
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i] ?? throw new InvalidDataException($"{source}: rule {i + 1} is null");
            if (rule.Country is not { Length: 2 } country || !country.All(char.IsAsciiLetter))
            {
                throw new InvalidDataException($"{source}: rule {i + 1} needs a two-letter ISO 3166-1 'country' code");
            }

            if (string.IsNullOrWhiteSpace(rule.Queue))
            {
                throw new InvalidDataException($"{source}: rule {i + 1} ({country}) needs a 'queue'");
            }

            country = country.ToUpperInvariant();
            var region = string.IsNullOrWhiteSpace(rule.Region) ? null : rule.Region.Trim().ToUpperInvariant();
            if (region is not null && !region.Contains('-', StringComparison.Ordinal))
            {
                region = country + "-" + region;
            }

            if (region is not null && !region.StartsWith(country + "-", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}: rule {i + 1} has region {region}, which is not in {country}");
            }

            rules.Add(new JurisdictionRule(country, region, rule.Queue.Trim(), string.IsNullOrWhiteSpace(rule.Agency) ? null : rule.Agency.Trim()));
        }

        if (Fallback is null || string.IsNullOrWhiteSpace(Fallback.Queue))
        {
            throw new InvalidDataException($"{source}: the 'default' needs a 'queue'");
        }

        return new JurisdictionRules { Rules = rules, Fallback = Fallback with { Queue = Fallback.Queue.Trim() } };
    }

    /// <summary>The target of a report in <paramref name="country"/> and <paramref name="region"/>, and the rule that chose it.</summary>
    public (JurisdictionTarget Target, string Rule) Route(string? country, string? region)
    {
        if (country is not null)
        {
            foreach (var rule in Rules)
            {
                if (string.Equals(rule.Country, country, StringComparison.OrdinalIgnoreCase)
                    && (rule.Region is null || string.Equals(rule.Region, region, StringComparison.OrdinalIgnoreCase)))
                {
                    return (new JurisdictionTarget(rule.Queue, rule.Agency), rule.Region ?? rule.Country);
                }
            }
        }

        return (Fallback, "default");
    }

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}

/// <summary>One location clue of a report.</summary>
public sealed record JurisdictionEvidence
{
    /// <summary><c>gps</c> (a file's EXIF position) or <c>ip</c> (an IP capture event of the reported person).</summary>
    public required string Kind { get; init; }

    /// <summary>GPS: the file.</summary>
    public Guid? FileId { get; init; }

    public string? OriginalName { get; init; }

    public double? Lat { get; init; }

    public double? Lon { get; init; }

    /// <summary>IP: the capture event's name (upload, login...).</summary>
    public string? Event { get; init; }

    public string? Ip { get; init; }

    public DateTimeOffset? At { get; init; }

    /// <summary>IP: the database network holding the address.</summary>
    public string? Network { get; init; }

    /// <summary>IP: the database and its build date, e.g. <c>geo-whois-asn-country 2026-06-17</c>.</summary>
    public string? Database { get; init; }

    /// <summary>ISO 3166-1 alpha-2; null when the clue could not be placed (at sea, private address, no data).</summary>
    public string? Country { get; init; }

    public string? Region { get; init; }

    /// <summary>Why the clue could not be placed.</summary>
    public string? Note { get; init; }
}

/// <summary>A report's jurisdiction: the decision, how it was made, and every clue considered.</summary>
public sealed record ReportJurisdiction
{
    /// <summary>The country decided; null when no clue placed the report.</summary>
    public string? Country { get; init; }

    public string? Region { get; init; }

    public required string Queue { get; init; }

    public string? Agency { get; init; }

    /// <summary>Which kind of clue decided: <c>gps</c>, <c>ip-upload</c>, <c>ip</c>, or <c>none</c>.</summary>
    public required string Basis { get; init; }

    /// <summary>The rule that routed it: its region or country code, or <c>default</c>.</summary>
    public required string Rule { get; init; }

    /// <summary>Countries other clues point to (sorted), when they disagree with the decision.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];

    /// <summary>Every location clue of the report, GPS first (file order), then IP events (submission order).</summary>
    public IReadOnlyList<JurisdictionEvidence> Evidence { get; init; } = [];
}

/// <summary>
/// Decides a report's jurisdiction from its location clues. Precedence, strongest first:
/// <list type="number">
/// <item><b>gps</b>: GPS positions in the report's files (where the picture was taken; the child is most likely there);</item>
/// <item><b>ip-upload</b>: IP addresses of <c>upload</c> capture events (where the reported person was when sharing);</item>
/// <item><b>ip</b>: the other IP capture events (login, registration...).</item>
/// </list>
/// The first tier holding at least one placed clue decides. Within it, the most frequent country wins (a tie goes to the
/// country seen first), and the region is the most frequent one among that tier's clues in that country. Clues of any
/// tier pointing elsewhere are listed as <see cref="ReportJurisdiction.Conflicts"/>. No clue at all: the default queue.
/// </summary>
public static class JurisdictionRouter
{
    public const string BasisGps = "gps";
    public const string BasisUploadIp = "ip-upload";
    public const string BasisIp = "ip";
    public const string BasisNone = "none";

    /// <summary>The evidence of a report: GPS of its files (with their clues) and its IP capture events looked up in <paramref name="geo"/>.</summary>
    public static IReadOnlyList<JurisdictionEvidence> Collect(
        ReportSubmission submission,
        IEnumerable<(StoredFile File, FileClues? Clues)> files,
        GeoLocator? geo)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(files);
        var evidence = new List<JurisdictionEvidence>();
        foreach (var (file, clues) in files.OrderBy(static f => f.File.Ordinal))
        {
            if (clues?.Gps is { } gps)
            {
                evidence.Add(new JurisdictionEvidence
                {
                    Kind = "gps",
                    FileId = file.Id,
                    OriginalName = file.OriginalName,
                    Lat = gps.Latitude,
                    Lon = gps.Longitude,
                    Country = gps.Country,
                    Region = gps.Region,
                    Note = gps.Country is null ? "the position is not in a known country (at sea, or no boundary data)" : null,
                });
            }
        }

        var events = submission.ReportedPerson?.IpCaptureEvents ?? [];
        if (events.Count == 0)
        {
            return evidence;
        }

        var database = geo?.IpDatabase;
        var databaseName = database is null ? null : GeoLocator.Describe(database);
        foreach (var capture in events)
        {
            if (capture is null)
            {
                continue;
            }

            var item = new JurisdictionEvidence { Kind = "ip", Event = capture.EventName, Ip = capture.Ip, At = capture.At, Database = databaseName };
            if (!IPAddress.TryParse(capture.Ip?.Trim(), out var address))
            {
                evidence.Add(item with { Note = "not an IP address" });
            }
            else if (database is null)
            {
                evidence.Add(item with { Note = "no IP database" });
            }
            else
            {
                var found = database.Lookup(address);
                evidence.Add(item with
                {
                    Country = found.CountryCode,
                    Network = found.Network,
                    Note = found.CountryCode is null ? "the database has no country for this address" : null,
                });
            }
        }

        return evidence;
    }

    /// <summary>The decision over <paramref name="evidence"/> (see the class summary for the precedence).</summary>
    public static ReportJurisdiction Decide(IReadOnlyList<JurisdictionEvidence> evidence, JurisdictionRules rules)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(rules);
        var placed = evidence.Select((e, index) => (Evidence: e, Index: index)).Where(static e => e.Evidence.Country is not null).ToList();
        foreach (var basis in (ReadOnlySpan<string>)[BasisGps, BasisUploadIp, BasisIp])
        {
            var tier = placed.Where(e => TierOf(e.Evidence) == basis).ToList();
            if (tier.Count == 0)
            {
                continue;
            }

            var country = MostFrequent(tier.Select(static e => (e.Evidence.Country!, e.Index)))!;
            var region = MostFrequent(tier.Where(e => e.Evidence.Country == country && e.Evidence.Region is not null).Select(static e => (e.Evidence.Region!, e.Index)));
            var (target, rule) = rules.Route(country, region);
            return new ReportJurisdiction
            {
                Country = country,
                Region = region,
                Queue = target.Queue,
                Agency = target.Agency,
                Basis = basis,
                Rule = rule,
                Conflicts = [.. placed.Select(static e => e.Evidence.Country!).Where(c => c != country).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                Evidence = evidence,
            };
        }

        var (fallback, fallbackRule) = rules.Route(null, null);
        return new ReportJurisdiction { Queue = fallback.Queue, Agency = fallback.Agency, Basis = BasisNone, Rule = fallbackRule, Evidence = evidence };
    }

    /// <summary>An IP event counts as an upload when its name says so (<c>upload</c>, <c>Upload</c>, <c>file-upload</c>...).</summary>
    private static string TierOf(JurisdictionEvidence evidence) =>
        evidence.Kind == "gps" ? BasisGps
        : evidence.Event?.Contains("upload", StringComparison.OrdinalIgnoreCase) == true ? BasisUploadIp
        : BasisIp;

    /// <summary>The most frequent value; a tie goes to the value seen first.</summary>
    private static string? MostFrequent(IEnumerable<(string Value, int Index)> values) =>
        values
            .GroupBy(static v => v.Value, StringComparer.Ordinal)
            .OrderByDescending(static g => g.Count())
            .ThenBy(static g => g.Min(static v => v.Index))
            .Select(static g => g.Key)
            .FirstOrDefault();
}
