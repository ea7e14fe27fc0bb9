using Needle.Core.Exchanges;

namespace Needle.Application.Exchanges;

/// <summary>What each kind needs: its settings (with defaults) and its credentials.</summary>
internal sealed record ExchangeKindSpec(string Kind, IReadOnlyList<string> RequiredSettings, IReadOnlyDictionary<string, string> Defaults, IReadOnlyList<string> RequiredCredentials, IReadOnlyList<string> OptionalCredentials)
{
    /// <summary>The settings any kind may have.</summary>
    public static readonly IReadOnlyList<string> KnownSettings = ["baseUrl", "list", "privacyGroup", "environment", "pageSize", "feedbackReason"];

    /// <summary>NCMEC's environments (python-threatexchange's names) and their base URLs.</summary>
    public static readonly IReadOnlyDictionary<string, string> NcmecEnvironments = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Industry"] = "https://report.cybertip.org/hashsharing",
        ["NGO"] = "https://hashsharing.ncmec.org/npo",
        ["Exploitative"] = "https://hashsharing.ncmec.org/exploitative",
        ["test_Industry"] = "https://exttest.cybertip.org/hashsharing",
        ["test_NGO"] = "https://hashsharing-test.ncmec.org/npo",
        ["test_Exploitative"] = "https://hashsharing-test.ncmec.org/exploitative",
    };

    public static ExchangeKindSpec For(string kind) => kind switch
    {
        ExchangeKinds.Needle => new(kind, ["baseUrl", "list"], new Dictionary<string, string>(), ["apiKey"], []),
        ExchangeKinds.StopNcii => new(kind, [], new Dictionary<string, string> { ["baseUrl"] = "https://api.stopncii.org/v1" }, ["subscriptionKey", "fetchFunctionKey"], ["feedbackFunctionKey"]),
        ExchangeKinds.Ncmec => new(kind, [], new Dictionary<string, string> { ["environment"] = "Industry" }, ["username", "password"], []),
        ExchangeKinds.ThreatExchange => new(kind, ["privacyGroup"], new Dictionary<string, string> { ["baseUrl"] = "https://graph.facebook.com/v21.0" }, ["accessToken"], []),
        _ => throw new ArgumentException($"Unknown exchange kind '{kind}'. Known: {string.Join(", ", ExchangeKinds.All)}.", nameof(kind)),
    };

    /// <summary>The settings with defaults filled in; throws <see cref="ArgumentException"/> naming a missing or unknown one.</summary>
    public Dictionary<string, string> CheckSettings(IReadOnlyDictionary<string, string>? given)
    {
        var settings = new Dictionary<string, string>(Defaults, StringComparer.Ordinal);
        foreach (var (key, value) in given ?? new Dictionary<string, string>())
        {
            if (!KnownSettings.Contains(key))
            {
                throw new ArgumentException($"Unknown setting '{key}' for a {Kind} exchange. Known: {string.Join(", ", KnownSettings)}.", nameof(given));
            }

            settings[key] = value;
        }

        foreach (var required in RequiredSettings)
        {
            if (!settings.TryGetValue(required, out var value) || string.IsNullOrWhiteSpace(value))
            {
                throw new ArgumentException($"A {Kind} exchange needs the setting '{required}'.", nameof(given));
            }
        }

        if (settings.TryGetValue("environment", out var environment) && !settings.ContainsKey("baseUrl") && !NcmecEnvironments.ContainsKey(environment))
        {
            throw new ArgumentException($"Unknown NCMEC environment '{environment}'. Known: {string.Join(", ", NcmecEnvironments.Keys)}.", nameof(given));
        }

        if (settings.TryGetValue("baseUrl", out var baseUrl)
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            throw new ArgumentException($"The setting 'baseUrl' must be an absolute http(s) URL; got '{baseUrl}'.", nameof(given));
        }

        if (settings.TryGetValue("pageSize", out var pageSize) && (!int.TryParse(pageSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) || size is < 1 or > 10_000))
        {
            throw new ArgumentException($"The setting 'pageSize' must be a whole number from 1 to 10000; got '{pageSize}'.", nameof(given));
        }

        return settings;
    }

    /// <summary>Checks the credentials; throws <see cref="ArgumentException"/> naming a missing or unknown one (never a value).</summary>
    public void CheckCredentials(IReadOnlyDictionary<string, string> credentials)
    {
        foreach (var key in credentials.Keys)
        {
            if (!RequiredCredentials.Contains(key) && !OptionalCredentials.Contains(key))
            {
                throw new ArgumentException($"Unknown credential '{key}' for a {Kind} exchange. Known: {string.Join(", ", RequiredCredentials.Concat(OptionalCredentials))}.", nameof(credentials));
            }
        }

        foreach (var required in RequiredCredentials)
        {
            if (!credentials.TryGetValue(required, out var value) || string.IsNullOrEmpty(value))
            {
                throw new ArgumentException($"A {Kind} exchange needs the credential '{required}'.", nameof(credentials));
            }
        }
    }
}
