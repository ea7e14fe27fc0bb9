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
/// item; classification becomes the category. Each fetch first asks <c>/v2/status</c>: it checks the credentials (a
/// refusal is an error naming the exchange, never a secret) and tells the member and, where given, the server's time,
/// which then ends the time window (NCMEC's clock decides what is in it, not this node's).
/// </summary>
internal sealed class NcmecExchangeClient(ExchangeContext context) : ExchangeClient(context)
{
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    private DateTimeOffset? _serverTime;

    /// <summary>The member the credentials belong to, as <c>/v2/status</c> told it (id and name); null before it was asked.</summary>
    public string? Member { get; private set; }

    public override async Task BeginAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri(Root(), "v2/status");
        byte[] body;
        try
        {
            body = await SendAsync(HttpMethod.Get, uri, Authorize, null, cancellationToken).ConfigureAwait(false);
        }
        catch (ExchangeFetchException e) when (e.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            throw new ExchangeFetchException(
                $"NCMEC refused the credentials of exchange '{Context.Name}' ({(int)e.StatusCode} at /v2/status): check its username and password, and its environment.", e);
        }

        System.Xml.Linq.XDocument document;
        try
        {
            using var reader = System.Xml.XmlReader.Create(new MemoryStream(body), new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Prohibit, XmlResolver = null });
            document = System.Xml.Linq.XDocument.Load(reader);
        }
        catch (System.Xml.XmlException e)
        {
            throw new ExchangeFetchException($"NCMEC's /v2/status answer for exchange '{Context.Name}' is not XML: {e.Message}", e);
        }

        var member = document.Root?.Elements().FirstOrDefault(static e => e.Name.LocalName == "member")
            ?? throw new ExchangeFetchException($"NCMEC's /v2/status answer for exchange '{Context.Name}' names no member.");
        Member = $"{(string?)member.Attribute("id")} {member.Value.Trim()}".Trim();
        var serverTime = document.Root!.Descendants().FirstOrDefault(static e => e.Name.LocalName == "serverTime")?.Value;
        _serverTime = DateTimeOffset.TryParse(serverTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null;
    }

    public override async Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken)
    {
        var state = checkpoint is null ? new Window(0, null, null) : JsonSerializer.Deserialize<Window>(checkpoint) ?? throw new ExchangeFetchException($"The checkpoint '{checkpoint}' is not an NCMEC checkpoint.");
        var root = Root();
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
            to = Math.Max(state.From, (_serverTime ?? Context.Time.GetUtcNow()).ToUnixTimeSeconds());
            uri = new Uri(root, $"v2/entries?from={Format(state.From)}&to={Format(to)}");
        }

        var body = await SendAsync(HttpMethod.Get, uri, Authorize, null, cancellationToken).ConfigureAwait(false);
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

    private Uri Root() => BaseUri(OptionalSetting("baseUrl") ?? ExchangeKindSpec.NcmecEnvironments[Setting("environment")]);

    private void Authorize(HttpRequestHeaders headers) =>
        headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Credential("username") + ":" + Credential("password"))));

    private static string Format(long unixSeconds) =>
        Uri.EscapeDataString(DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString(DateFormat, CultureInfo.InvariantCulture));

    private sealed record Window(
        [property: JsonPropertyName("from")] long From,
        [property: JsonPropertyName("to"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? To,
        [property: JsonPropertyName("next"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Next);
}
