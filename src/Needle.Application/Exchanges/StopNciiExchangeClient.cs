using System.Globalization;
using System.Text.Json;
using Needle.Matching.Formats;

namespace Needle.Application.Exchanges;

/// <summary>
/// StopNCII's <c>GET /FetchHashes?startTimestamp&amp;pageSize&amp;nextPageToken</c> with the subscription and function
/// keys. The checkpoint is <c>{"ts": startTimestamp, "page": nextPageToken}</c> while a cursor is being played out and
/// <c>{"ts": nextSetTimestamp}</c> once it is; records are keyed by signal type and hash (the last one wins), and
/// <c>Withdrawn</c>/<c>Deleted</c> remove theirs. StopNCII keeps changes for 30 days: an older checkpoint is stale.
/// </summary>
internal sealed class StopNciiExchangeClient(ExchangeContext context) : ExchangeClient(context)
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public override async Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken)
    {
        var (timestamp, page) = Parse(checkpoint);
        var query = string.Create(CultureInfo.InvariantCulture, $"FetchHashes?startTimestamp={timestamp}&pageSize={PageSize}");
        if (!string.IsNullOrEmpty(page))
        {
            query += "&nextPageToken=" + Uri.EscapeDataString(page);
        }

        var body = await SendAsync(
                HttpMethod.Get,
                new Uri(BaseUri(Setting("baseUrl")), query),
                h =>
                {
                    h.Add("Ocp-Apim-Subscription-Key", Credential("subscriptionKey"));
                    h.Add("x-functions-key", Credential("fetchFunctionKey"));
                },
                null,
                cancellationToken)
            .ConfigureAwait(false);
        ImportResult result;
        try
        {
            result = HashListFormats.Default.Get("stopncii").Read(new MemoryStream(body), new ImportOptions { SkipInvalid = true, FileName = "FetchHashes", ListName = "page" });
        }
        catch (HashListFormatException e)
        {
            throw new ExchangeFetchException($"The FetchHashes page from {timestamp} is malformed: {e.Message}", e);
        }

        var feed = result.Feed ?? throw new ExchangeFetchException($"The FetchHashes answer from {timestamp} is not a FetchHashes response object.");
        var records = new List<(int, string, Needle.Matching.Lists.HashListEntry?)>();
        for (var i = 0; i < result.List.Entries.Count; i++)
        {
            var entry = result.List.Entries[i] with { Source = "exchange:" + Context.Name };
            records.Add((result.EntryRecords[i], Key(entry.SignalType.Name, entry.Value), entry));
        }

        foreach (var tombstone in result.Tombstones)
        {
            records.Add((tombstone.Record, Key(tombstone.SignalType!.Name, tombstone.Value!), null));
        }

        string next;
        if (feed.HasMore)
        {
            if (string.IsNullOrEmpty(feed.NextPage))
            {
                throw new ExchangeFetchException($"The FetchHashes page from {timestamp} says it has more records but gives no nextPageToken.");
            }

            next = JsonSerializer.Serialize(new Checkpoint(timestamp, feed.NextPage));
        }
        else
        {
            next = JsonSerializer.Serialize(new Checkpoint(feed.NextTimestamp ?? timestamp, null));
        }

        return new ExchangePage(Items(records), next, feed.HasMore);
    }

    public override string? StaleReason(string? checkpoint, DateTimeOffset now) => Stale(checkpoint, now);

    /// <summary>Why <paramref name="checkpoint"/> is too old to resume from, or null (no client needed: the admin page asks too).</summary>
    internal static string? Stale(string? checkpoint, DateTimeOffset now)
    {
        var (timestamp, _) = Parse(checkpoint);
        var at = DateTimeOffset.FromUnixTimeSeconds(timestamp);
        return timestamp > 0 && now - at > Retention
            ? $"the checkpoint {at:yyyy-MM-dd HH:mm}Z is older than StopNCII's {Retention.TotalDays:0} days of changes: everything was fetched again"
            : null;
    }

    private static string Key(string signal, string value) => signal + ":" + value;

    private static (long Timestamp, string? Page) Parse(string? checkpoint)
    {
        if (checkpoint is null)
        {
            return (0, null);
        }

        var parsed = JsonSerializer.Deserialize<Checkpoint>(checkpoint) ?? throw new ExchangeFetchException($"The checkpoint '{checkpoint}' is not a StopNCII checkpoint.");
        return (parsed.Ts, parsed.Page);
    }

    private sealed record Checkpoint(
        [property: System.Text.Json.Serialization.JsonPropertyName("ts")] long Ts,
        [property: System.Text.Json.Serialization.JsonPropertyName("page"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Page);
}
