using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Needle.Matching.Formats;

namespace Needle.Application.Exchanges;

/// <summary>
/// NCMEC's hash-sharing API v2 (HTTP Basic): <c>GET /v2/entries?from&amp;to</c>, then each <c>&lt;paging&gt;&lt;next&gt;</c>.
/// NCMEC returns a time window's entries out of time order, so the checkpoint's <c>from</c> moves to the window's
/// <c>to</c> only once the window's pages are exhausted; meanwhile the checkpoint keeps the window and its next page
/// (re-applying a page is harmless: items are keyed by member-id and the last record wins). Tombstones remove their
/// item; classification becomes the category.
/// </summary>
internal sealed class NcmecExchangeClient(ExchangeContext context) : ExchangeClient(context)
{
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public override async Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken)
    {
        var state = checkpoint is null ? new Window(0, null, null) : JsonSerializer.Deserialize<Window>(checkpoint) ?? throw new ExchangeFetchException($"The checkpoint '{checkpoint}' is not an NCMEC checkpoint.");
        var baseUrl = OptionalSetting("baseUrl") ?? ExchangeKindSpec.NcmecEnvironments[Setting("environment")];
        var root = BaseUri(baseUrl);
        Uri uri;
        long to;
        if (state.Next is { Length: > 0 } next && state.To is { } windowEnd)
        {
            // The API's next link is relative to the environment's base ("/v2/entries?...").
            uri = new Uri(root, next.TrimStart('/'));
            if (!string.Equals(uri.Host, root.Host, StringComparison.OrdinalIgnoreCase) || !uri.AbsolutePath.StartsWith(root.AbsolutePath, StringComparison.Ordinal))
            {
                throw new ExchangeFetchException("NCMEC's next page points outside its base URL; refused.");
            }

            to = windowEnd;
        }
        else
        {
            to = Math.Max(state.From, Context.Time.GetUtcNow().ToUnixTimeSeconds());
            uri = new Uri(root, $"v2/entries?from={Format(state.From)}&to={Format(to)}");
        }

        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(Credential("username") + ":" + Credential("password")));
        var body = await SendAsync(HttpMethod.Get, uri, h => h.Authorization = new AuthenticationHeaderValue("Basic", basic), null, cancellationToken).ConfigureAwait(false);
        ImportResult result;
        try
        {
            result = HashListFormats.Default.Get("ncmec").Read(new MemoryStream(body), new ImportOptions { SkipInvalid = true, FileName = "entries", ListName = "page" });
        }
        catch (HashListFormatException e)
        {
            throw new ExchangeFetchException($"The NCMEC entries page of the window from {Format(state.From)} is malformed: {e.Message}", e);
        }

        var records = new List<(int, string, Needle.Matching.Lists.HashListEntry?)>();
        for (var i = 0; i < result.List.Entries.Count; i++)
        {
            var entry = result.List.Entries[i] with { Source = "exchange:" + Context.Name };
            records.Add((result.EntryRecords[i], entry.Label ?? "", entry));
        }

        foreach (var tombstone in result.Tombstones)
        {
            records.Add((tombstone.Record, tombstone.Label ?? "", null));
        }

        var feed = result.Feed;
        var more = feed is { HasMore: true, NextPage.Length: > 0 };
        var after = more ? new Window(state.From, to, feed!.NextPage) : new Window(to, null, null);
        return new ExchangePage(Items(records), JsonSerializer.Serialize(after), more);
    }

    private static string Format(long unixSeconds) =>
        Uri.EscapeDataString(DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString(DateFormat, CultureInfo.InvariantCulture));

    private sealed record Window(
        [property: JsonPropertyName("from")] long From,
        [property: JsonPropertyName("to"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? To,
        [property: JsonPropertyName("next"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next);
}
