using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Needle.Core.Exchanges;

namespace Needle.Application.Exchanges;

/// <summary>
/// Each provider's feedback call, built from the details kept when the feedback was queued:
/// NCMEC <c>PUT /v2/entries/{member}/{id}/{FINGERPRINT}/feedback</c> (a <c>feedbackSubmission</c> with
/// <c>affirmative</c>, or <c>negative</c> with a reason guid from <c>GET /v2/feedback/{FINGERPRINT}/reasons</c>);
/// StopNCII <c>POST /SubmitFeedback</c> (<c>Blocked</c>/<c>NotBlocked</c>, with the subscription key and the
/// feedback function key); ThreatExchange <c>POST /{descriptor}</c> with <c>reactions=HELPFUL</c>/<c>NOT_HELPFUL</c>
/// on each descriptor of the indicator.
/// </summary>
internal static class ExchangeFeedbackRequests
{
    private const string NcmecNamespace = "https://hashsharing.ncmec.org/hashsharing/v2";
    private const int MaxErrorBody = 300;

    /// <summary>What a provider needs to find the item, for a kind; null when it takes no feedback on this signal.</summary>
    public static Dictionary<string, string>? Details(string kind, string itemKey, string signal, string value, string? label, IReadOnlyDictionary<string, string> metadata)
    {
        switch (kind)
        {
            case ExchangeKinds.Ncmec:
            {
                var fingerprint = signal switch
                {
                    "md5" => "MD5",
                    "sha1" => "SHA1",
                    "pdq" => "PDQ",
                    "photodna" => "PDNA",
                    _ => null,
                };
                var key = label ?? itemKey;
                var member = metadata.GetValueOrDefault("memberId") ?? (key.IndexOf('-', StringComparison.Ordinal) is var dash and > 0 ? key[..dash] : null);
                if (fingerprint is null || member is null)
                {
                    return null;
                }

                var id = key.StartsWith(member + "-", StringComparison.Ordinal) ? key[(member.Length + 1)..] : key;
                return new() { ["memberId"] = member, ["id"] = id, ["fingerprint"] = fingerprint };
            }

            case ExchangeKinds.StopNcii:
            {
                var type = signal switch
                {
                    "pdq" => "ImagePDQ",
                    "md5" => "VideoMD5",
                    _ => null,
                };
                return type is null ? null : new() { ["signalType"] = type, ["hashValue"] = value };
            }

            case ExchangeKinds.ThreatExchange:
                return new() { ["indicatorId"] = itemKey, ["descriptorIds"] = metadata.GetValueOrDefault("descriptorIds") ?? "" };

            default:
                return null;
        }
    }

    /// <summary>Sends the feedback; the outcome says whether it was acknowledged, is worth another try later, or was refused.</summary>
    /// <exception cref="ExchangeFetchException">The feedback cannot be built (a missing credential or setting, no reason to give): it fails for good.</exception>
    public static async Task<FeedbackOutcome> SendAsync(
        HttpClient http, string kind, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> credentials, StoredExchangeFeedback feedback, CancellationToken ct)
    {
        var details = JsonSerializer.Deserialize<Dictionary<string, string>>(feedback.Feedback.Details) ?? [];
        var affirmative = feedback.Feedback.Verdict == FeedbackVerdict.Affirmative;
        switch (kind)
        {
            case ExchangeKinds.Ncmec:
            {
                var baseUrl = settings.GetValueOrDefault("baseUrl")
                    ?? (ExchangeKindSpec.NcmecEnvironments.TryGetValue(settings.GetValueOrDefault("environment") ?? "Industry", out var environment) ? environment : throw new ExchangeFetchException("The exchange has no NCMEC environment."));
                var root = Root(baseUrl);
                var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(Credential(credentials, "username") + ":" + Credential(credentials, "password")));
                var fingerprint = Detail(details, "fingerprint");
                var vote = new XElement(XName.Get(affirmative ? "affirmative" : "negative", NcmecNamespace));
                if (!affirmative)
                {
                    var reasons = await SendAsync(http, HttpMethod.Get, new Uri(root, $"v2/feedback/{Uri.EscapeDataString(fingerprint)}/reasons"), h => h.Authorization = new("Basic", basic), null, credentials, ct).ConfigureAwait(false);
                    if (!reasons.Sent)
                    {
                        return reasons;
                    }

                    var guid = PickReason(reasons.Body ?? "", fingerprint, settings.GetValueOrDefault("feedbackReason"));
                    vote.Add(new XElement(XName.Get("reasonIds", NcmecNamespace), new XElement(XName.Get("guid", NcmecNamespace), guid)));
                }

                var body = new XDocument(new XDeclaration("1.0", "UTF-8", null), new XElement(XName.Get("feedbackSubmission", NcmecNamespace), vote));
                var content = new StringContent(body.Declaration + body.ToString(SaveOptions.DisableFormatting), Encoding.UTF8, "application/xml");
                var path = $"v2/entries/{Uri.EscapeDataString(Detail(details, "memberId"))}/{Uri.EscapeDataString(Detail(details, "id"))}/{Uri.EscapeDataString(fingerprint)}/feedback";
                return await SendAsync(http, HttpMethod.Put, new Uri(root, path), h => h.Authorization = new("Basic", basic), content, credentials, ct).ConfigureAwait(false);
            }

            case ExchangeKinds.StopNcii:
            {
                var subscription = Credential(credentials, "subscriptionKey");
                var function = credentials.GetValueOrDefault("feedbackFunctionKey") is { Length: > 0 } key
                    ? key
                    : throw new ExchangeFetchException("The exchange has no credential 'feedbackFunctionKey' (StopNCII gives a function key per endpoint; SubmitFeedback needs its own).");
                var payload = JsonSerializer.Serialize(new
                {
                    count = 1,
                    hashFeedbacks = new[]
                    {
                        new { signalType = Detail(details, "signalType"), hashValue = Detail(details, "hashValue"), feedbackValue = affirmative ? "Blocked" : "NotBlocked", tags = Array.Empty<string>() },
                    },
                });
                return await SendAsync(
                        http,
                        HttpMethod.Post,
                        new Uri(Root(settings.GetValueOrDefault("baseUrl") ?? "https://api.stopncii.org/v1"), "SubmitFeedback"),
                        h =>
                        {
                            h.Add("Ocp-Apim-Subscription-Key", subscription);
                            h.Add("x-functions-key", function);
                        },
                        new StringContent(payload, Encoding.UTF8, "application/json"),
                        credentials,
                        ct)
                    .ConfigureAwait(false);
            }

            case ExchangeKinds.ThreatExchange:
            {
                var token = Credential(credentials, "accessToken");
                var descriptors = Detail(details, "descriptorIds").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (descriptors.Length == 0)
                {
                    throw new ExchangeFetchException($"The indicator {Detail(details, "indicatorId")} came without descriptor ids (fetched before they were kept): fetch the exchange again from the start.");
                }

                var root = Root(settings.GetValueOrDefault("baseUrl") ?? "https://graph.facebook.com/v21.0");
                FeedbackOutcome outcome = default;
                foreach (var descriptor in descriptors)
                {
                    // A reaction is a set member on the descriptor: giving it again after a partial failure is harmless.
                    var form = new FormUrlEncodedContent([new KeyValuePair<string, string>("reactions", affirmative ? "HELPFUL" : "NOT_HELPFUL")]);
                    outcome = await SendAsync(http, HttpMethod.Post, new Uri(root, Uri.EscapeDataString(descriptor)), h => h.Authorization = new("OAuth", token), form, credentials, ct).ConfigureAwait(false);
                    if (!outcome.Sent)
                    {
                        return outcome;
                    }
                }

                return outcome;
            }

            default:
                throw new ExchangeFetchException($"A {kind} exchange takes no feedback.");
        }
    }

    private static Uri Root(string baseUrl) => new(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute);

    private static string Credential(IReadOnlyDictionary<string, string> credentials, string name) =>
        credentials.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new ExchangeFetchException($"The exchange has no credential '{name}'.");

    private static string Detail(Dictionary<string, string> details, string name) =>
        details.TryGetValue(name, out var value) ? value : throw new ExchangeFetchException($"The feedback has no '{name}' to give the provider.");

    /// <summary>The reason guid to give: the exchange's <c>feedbackReason</c> setting (a guid or a name), or the only reason offered.</summary>
    private static string PickReason(string xml, string fingerprint, string? wanted)
    {
        List<(string Guid, string Name)> reasons;
        try
        {
            var document = XDocument.Parse(xml, LoadOptions.None);
            reasons = [.. document.Descendants()
                .Where(static e => e.Name.LocalName == "reason")
                .Select(static e => (
                    Guid: (string?)e.Attribute("guid") ?? e.Elements().FirstOrDefault(static c => c.Name.LocalName == "guid")?.Value ?? "",
                    Name: (string?)e.Attribute("name") ?? e.Elements().FirstOrDefault(static c => c.Name.LocalName == "name")?.Value ?? ""))
                .Where(static r => r.Guid.Length > 0)];
        }
        catch (XmlException e)
        {
            throw new ExchangeFetchException($"NCMEC's feedback reasons for {fingerprint} are malformed: {e.Message}", e);
        }

        if (wanted is { Length: > 0 })
        {
            foreach (var (guid, name) in reasons)
            {
                if (string.Equals(guid, wanted, StringComparison.OrdinalIgnoreCase) || string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return guid;
                }
            }

            throw new ExchangeFetchException($"NCMEC offers no {fingerprint} feedback reason '{wanted}'. Offered: {string.Join(", ", reasons.Select(static r => r.Name))}.");
        }

        return reasons.Count switch
        {
            1 => reasons[0].Guid,
            0 => throw new ExchangeFetchException($"NCMEC offers no negative feedback reason for {fingerprint}."),
            _ => throw new ExchangeFetchException($"NCMEC offers {reasons.Count} {fingerprint} feedback reasons: set the exchange's setting 'feedbackReason' to one of: {string.Join(", ", reasons.Select(static r => r.Name))}."),
        };
    }

    private static async Task<FeedbackOutcome> SendAsync(
        HttpClient http, HttpMethod method, Uri uri, Action<HttpRequestHeaders> headers, HttpContent? content, IReadOnlyDictionary<string, string> credentials, CancellationToken ct)
    {
        var what = $"{method} {uri.GetLeftPart(UriPartial.Path)}";
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        headers(request.Headers);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return new FeedbackOutcome(true, false, null, null, body);
            }

            var code = (int)response.StatusCode;
            var excerpt = body.Length > MaxErrorBody ? body[..MaxErrorBody] + "…" : body;
            var error = ExchangeFetcher.Redact($"{what} answered {code} {response.ReasonPhrase}{(excerpt.Length > 0 ? ": " + excerpt.ReplaceLineEndings(" ") : "")}", credentials);
            var transient = response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || code >= 500;
            return new FeedbackOutcome(false, transient, error, RetryAfter(response), null);
        }
        catch (HttpRequestException e)
        {
            return new FeedbackOutcome(false, true, ExchangeFetcher.Redact($"{what} failed: {e.Message}", credentials), null, null);
        }
        catch (Exception e) when (e is TimeoutException or Polly.Timeout.TimeoutRejectedException)
        {
            return new FeedbackOutcome(false, true, $"{what} timed out.", null, null);
        }
    }

    /// <summary>How long the response asks to wait before trying again, if it says.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta;
        }

        return header.Date is { } date ? date - (response.Headers.Date ?? date) : null;
    }
}
