using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Needle.Core.Exchanges;
using Needle.Matching.Lists;

namespace Needle.Application.Exchanges;

/// <summary>
/// Meta ThreatExchange's <c>GET /{privacy_group}/threat_updates?start_time</c>, then each <c>paging.next</c> (on the same
/// host only: it carries the token). An update with <c>should_delete</c> or without <c>descriptors</c> is a tombstone.
/// The checkpoint keeps the start time and the next page while a run is under way, then the latest
/// <c>last_updated</c> seen. ThreatExchange keeps updates for about 90 days: a checkpoint older than 85 days is stale.
/// </summary>
internal sealed class ThreatExchangeClient(ExchangeContext context) : ExchangeClient(context)
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(85);

    public override async Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken)
    {
        var state = Parse(checkpoint);
        var root = BaseUri(Setting("baseUrl"));
        Uri uri;
        if (state.Next is { Length: > 0 } next)
        {
            uri = new Uri(next, UriKind.Absolute);
            if (!string.Equals(uri.Host, root.Host, StringComparison.OrdinalIgnoreCase) || uri.Port != root.Port || uri.Scheme != root.Scheme)
            {
                throw new ExchangeFetchException("ThreatExchange's paging.next points to another host; refused (it would carry the token).");
            }
        }
        else
        {
            uri = new Uri(root, string.Create(
                CultureInfo.InvariantCulture,
                $"{Uri.EscapeDataString(Setting("privacyGroup"))}/threat_updates?start_time={state.Since}&limit={PageSize}&fields=id,indicator,type,last_updated,should_delete,descriptors"));
        }

        var body = await SendAsync(HttpMethod.Get, uri, h => h.Authorization = new("OAuth", Credential("accessToken")), null, cancellationToken).ConfigureAwait(false);
        var items = new List<ExchangeItem>();
        var latest = state.Latest;
        string? following;
        try
        {
            using var document = JsonDocument.Parse(body);
            foreach (var update in document.RootElement.GetProperty("data").EnumerateArray())
            {
                var id = update.GetProperty("id").ToString();
                if (update.TryGetProperty("last_updated", out var updated))
                {
                    var at = updated.ValueKind == JsonValueKind.Number ? updated.GetInt64() : long.Parse(updated.GetString() ?? "0", CultureInfo.InvariantCulture);
                    latest = Math.Max(latest, at);
                }

                var hasDescriptors = update.TryGetProperty("descriptors", out var descriptors) && descriptors.ValueKind != JsonValueKind.Null;
                var gone = (update.TryGetProperty("should_delete", out var delete) && delete.ValueKind == JsonValueKind.True) || !hasDescriptors;
                if (gone)
                {
                    items.Add(new ExchangeItem(id, []));
                    continue;
                }

                var indicator = update.GetProperty("indicator").GetString() ?? "";
                if (TypeOf(update.GetProperty("type").GetString()) is not { } type || !type.TryNormalize(indicator, out _, out _))
                {
                    // A type Needle cannot match, or a bad hash: only this update is left out.
                    continue;
                }

                var tags = new SortedSet<string>(StringComparer.Ordinal);
                var descriptorIds = new List<string>();
                if (descriptors.TryGetProperty("data", out var data))
                {
                    foreach (var descriptor in data.EnumerateArray())
                    {
                        // Kept for feedback: reactions are given on descriptors, not on the indicator.
                        if (descriptor.TryGetProperty("id", out var descriptorId) && descriptorId.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                        {
                            descriptorIds.Add(descriptorId.ToString());
                        }

                        if (descriptor.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                        {
                            foreach (var tag in list.EnumerateArray())
                            {
                                tags.Add(tag.GetString() ?? "");
                            }
                        }
                    }
                }

                var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["threatExchangeId"] = id };
                if (tags.Count > 0)
                {
                    metadata["tags"] = string.Join(',', tags);
                }

                if (descriptorIds.Count > 0)
                {
                    metadata["descriptorIds"] = string.Join(',', descriptorIds);
                }

                items.Add(new ExchangeItem(id, [new HashListEntry(type, indicator)
                {
                    Label = id,
                    Category = tags.Count > 0 ? tags.Min : null,
                    Source = "exchange:" + Context.Name,
                    Metadata = metadata,
                }]));
            }

            following = document.RootElement.TryGetProperty("paging", out var paging) && paging.TryGetProperty("next", out var link) ? link.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ExchangeFetchException($"The threat_updates page since {state.Since} is malformed: {e.Message}", e);
        }

        var more = !string.IsNullOrEmpty(following);
        var after = more ? state with { Next = following, Latest = latest } : new State(Math.Max(state.Since, latest), null, 0);
        return new ExchangePage(items, JsonSerializer.Serialize(after), more);
    }

    public override string? StaleReason(string? checkpoint, DateTimeOffset now) => Stale(checkpoint, now);

    /// <summary>Why <paramref name="checkpoint"/> is too old to resume from, or null (no client needed: the admin page asks too).</summary>
    internal static string? Stale(string? checkpoint, DateTimeOffset now)
    {
        var since = Parse(checkpoint).Since;
        var at = DateTimeOffset.FromUnixTimeSeconds(since);
        return since > 0 && now - at > Retention
            ? $"the checkpoint {at:yyyy-MM-dd HH:mm}Z is older than the {Retention.TotalDays:0} days ThreatExchange's updates can be trusted for: everything was fetched again"
            : null;
    }

    private static SignalType? TypeOf(string? type) => type?.ToUpperInvariant() switch
    {
        "HASH_PDQ" => SignalTypes.Pdq,
        "HASH_MD5" => SignalTypes.Md5,
        "HASH_SHA1" => SignalTypes.Sha1,
        "HASH_SHA256" => SignalTypes.Sha256,
        "HASH_PHOTODNA" => SignalTypes.PhotoDna,
        _ => null,
    };

    private static State Parse(string? checkpoint) =>
        checkpoint is null ? new State(0, null, 0) : JsonSerializer.Deserialize<State>(checkpoint) ?? throw new ExchangeFetchException($"The checkpoint '{checkpoint}' is not a ThreatExchange checkpoint.");

    private sealed record State(
        [property: JsonPropertyName("since")] long Since,
        [property: JsonPropertyName("next"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next,
        [property: JsonPropertyName("latest")] long Latest);
}
