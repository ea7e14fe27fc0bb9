using System.Text.Json;
using System.Text.Json.Serialization;

namespace Needle.Core.Jurisdiction;

/// <summary>
/// Routing rules, tried in order: the first rule whose country is the report's and whose region (when the rule names
/// one) is the report's wins; otherwise <see cref="Default"/>. Put region rules before their country's rule.
/// </summary>
public sealed record JurisdictionRules
{
    /// <summary>Everything to the "international" queue.</summary>
    public static JurisdictionRules Default { get; } = new();

    /// <summary>The rules in the order they are tried.</summary>
    public IReadOnlyList<JurisdictionRule> Rules { get; init; } = [];

    /// <summary>Where a report goes when no rule claims it or no clue placed it (<c>"default"</c> in the file).</summary>
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
