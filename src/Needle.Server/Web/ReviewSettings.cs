using System.Text.Json;
using System.Text.Json.Serialization;
using Needle.Core.Storage;

namespace Needle.Server.Web;

/// <summary>
/// How media is shown, as stored in a settings document (<see cref="ISettingsStore.GetSettingsAsync"/>): the organisation's
/// defaults in scope "org", one person's choices in "user:{key id}". A field left null falls back to the organisation's,
/// then to <see cref="Defaults"/>.
/// </summary>
public sealed record ReviewSettings
{
    public const int MinBlur = 4;
    public const int MaxBlur = 40;

    /// <summary>Thumbnail sizes offered, longest side in pixels.</summary>
    public static IReadOnlyList<int> ThumbnailSizes { get; } = [96, 144, 200];

    /// <summary>Wellbeing by default: small, strongly blurred, greyscale, and a break after 50 minutes.</summary>
    public static ReviewSettings Defaults { get; } = new() { BlurStrength = 14, Greyscale = true, ThumbnailSize = 96, BreakMinutes = 50 };

    /// <summary>Blur radius (Gaussian sigma, in thumbnail pixels) of unrevealed thumbnails, <see cref="MinBlur"/> to <see cref="MaxBlur"/>.</summary>
    public int? BlurStrength { get; init; }

    public bool? Greyscale { get; init; }

    /// <summary>Longest side of a thumbnail in pixels (one of <see cref="ThumbnailSizes"/>).</summary>
    public int? ThumbnailSize { get; init; }

    /// <summary>Minutes of continuous review before the page suggests a break (organisation setting; 0 turns it off).</summary>
    public int? BreakMinutes { get; init; }

    /// <summary>One person's choice to turn single-key shortcuts off (WCAG 2.1.4); null or false: on.</summary>
    public bool? ShortcutsOff { get; init; }

    /// <summary>One person's keys for the page actions (<see cref="ShortcutActions"/>), by action name; missing actions keep their default key.</summary>
    public IReadOnlyDictionary<string, string>? Keys { get; init; }

    /// <summary>The page actions that have a key, with their default key and what they do.</summary>
    public static IReadOnlyList<(string Action, string Key, string Text)> ShortcutActions { get; } =
    [
        ("next", "j", "Next file (or next report in the queue)"),
        ("previous", "k", "Previous file (or report)"),
        ("reveal", "r", "Reveal or hide the focused file"),
        ("select", "x", "Select or unselect the focused file"),
        ("decide0", "0", "Decide 0 · not pertinent"),
        ("decide1", "1", "Decide 1 · child abuse material"),
        ("decide2", "2", "Decide 2 · exploitative / age-difficult"),
        ("decide3", "3", "Decide 3 · CGI / animation"),
        ("decide4", "4", "Decide 4 · comparison"),
        ("escalate", "e", "Needs escalation"),
        ("accept", "a", "Accept the matched list's category"),
        ("undo", "u", "Undo the last decision"),
        ("nextReport", "n", "Next unclaimed report"),
    ];

    /// <summary>The key of every action: this person's choice, else the default.</summary>
    public IReadOnlyDictionary<string, string> EffectiveKeys()
    {
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (action, key, _) in ShortcutActions)
        {
            keys[action] = Keys is not null && Keys.TryGetValue(action, out var chosen) && chosen is { Length: 1 } ? chosen : key;
        }

        return keys;
    }

    /// <summary>The keys as JSON for the page's script (<c>data-keys</c>), or "off".</summary>
    public string KeysForScript() => ShortcutsOff == true ? "off" : JsonSerializer.Serialize(EffectiveKeys());

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string OrgScope => "org";

    public static string UserScope(Guid keyId) => $"user:{keyId:N}";

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ReviewSettings? Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ReviewSettings>(json, Json);
        }
        catch (JsonException)
        {
            // A document this version cannot read is ignored rather than locking the reviewer out of the pages.
            return null;
        }
    }

    /// <summary>Every field filled: this document, else <paramref name="fallback"/>, kept within the allowed ranges.</summary>
    public ReviewSettings Over(ReviewSettings fallback) => new()
    {
        BlurStrength = Math.Clamp(BlurStrength ?? fallback.BlurStrength ?? Defaults.BlurStrength!.Value, MinBlur, MaxBlur),
        Greyscale = Greyscale ?? fallback.Greyscale ?? Defaults.Greyscale,
        ThumbnailSize = NearestSize(ThumbnailSize ?? fallback.ThumbnailSize ?? Defaults.ThumbnailSize!.Value),
        BreakMinutes = Math.Clamp(BreakMinutes ?? fallback.BreakMinutes ?? Defaults.BreakMinutes!.Value, 0, 600),
        ShortcutsOff = ShortcutsOff ?? fallback.ShortcutsOff,
        Keys = Keys ?? fallback.Keys,
    };

    private static int NearestSize(int size)
    {
        var best = ThumbnailSizes[0];
        foreach (var candidate in ThumbnailSizes)
        {
            if (Math.Abs(candidate - size) < Math.Abs(best - size))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>The settings in force for a person: theirs over the organisation's over the defaults.</summary>
    public static async Task<(ReviewSettings Effective, ReviewSettings Org, ReviewSettings? User)> LoadAsync(ISettingsStore settings, Guid keyId, CancellationToken cancellationToken)
    {
        var org = (Parse(await settings.GetSettingsAsync(OrgScope, cancellationToken).ConfigureAwait(false)) ?? new ReviewSettings()).Over(Defaults);
        var user = Parse(await settings.GetSettingsAsync(UserScope(keyId), cancellationToken).ConfigureAwait(false));

        // The break reminder is the organisation's to set.
        var effective = (user ?? new ReviewSettings()).Over(org) with { BreakMinutes = org.BreakMinutes };
        return (effective, org, user);
    }
}
