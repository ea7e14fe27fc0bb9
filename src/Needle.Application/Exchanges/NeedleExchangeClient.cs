using System.Text.Json;
using Needle.Core.Exchanges;
using Needle.Matching.Lists;

namespace Needle.Application.Exchanges;

/// <summary>
/// Another Needle server's list, read through its <c>GET /api/v1/lists/{list}/changes?after=CURSOR</c> feed with an
/// <c>exchange</c> key. The checkpoint is the feed's cursor; items are keyed by the remote entry id.
/// </summary>
internal sealed class NeedleExchangeClient(ExchangeContext context) : ExchangeClient(context)
{
    public override async Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken)
    {
        var after = checkpoint ?? "0";
        var uri = new Uri(
            BaseUri(Setting("baseUrl")),
            $"api/v1/lists/{Uri.EscapeDataString(Setting("list"))}/changes?after={Uri.EscapeDataString(after)}&limit={PageSize}");
        var body = await SendAsync(HttpMethod.Get, uri, h => h.Authorization = new("Bearer", Credential("apiKey")), null, cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var next = root.GetProperty("next").GetString() ?? throw new ExchangeFetchException($"The changes after '{after}' have no next cursor.");
            var more = root.GetProperty("more").GetBoolean();
            var items = new List<ExchangeItem>();
            foreach (var change in root.GetProperty("changes").EnumerateArray())
            {
                var key = change.GetProperty("id").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (change.TryGetProperty("removed", out var removed) && removed.GetBoolean())
                {
                    items.Add(new ExchangeItem(key, []));
                    continue;
                }

                var type = SignalTypes.Get(change.GetProperty("signalType").GetString() ?? "");
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (change.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in meta.EnumerateObject())
                    {
                        metadata[property.Name] = property.Value.GetString() ?? "";
                    }
                }

                items.Add(new ExchangeItem(key, [new HashListEntry(type, change.GetProperty("value").GetString() ?? "")
                {
                    Label = change.TryGetProperty("label", out var label) ? label.GetString() : null,
                    Category = change.TryGetProperty("category", out var category) ? category.GetString() : null,
                    Enabled = !change.TryGetProperty("enabled", out var enabled) || enabled.GetBoolean(),
                    Source = "exchange:" + Context.Name,
                    Metadata = metadata,
                }]));
            }

            return new ExchangePage(items, next, more);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new ExchangeFetchException($"The changes after '{after}' are malformed: {e.Message}", e);
        }
    }
}
