using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Needle.LoadTest.Common;

/// <summary>The calls of Needle's HTTP API that the <c>serve</c> and <c>workers</c> harnesses make.</summary>
internal static class NeedleApi
{
    /// <summary>
    /// Report <paramref name="index"/>: external id <c>bench-INDEX</c> (the workers harness selects its warm-up reports
    /// by that number) and the <paramref name="filesPerReport"/> images from <c>index * filesPerReport</c> on.
    /// </summary>
    public static HttpRequestMessage BuildReport(int index, int run, byte[][] images, int filesPerReport, string submitterKey)
    {
        var files = Enumerable.Range(0, filesPerReport).Select(f => new { part = $"f{f}", originalName = $"bench-{index}-{f}.jpg" }).ToArray();
        var json = JsonSerializer.Serialize(new { externalId = $"bench-{index}", description = "Needle.LoadTest (generated benign images)", files });
        var form = new MultipartFormDataContent { { new StringContent(json, Encoding.UTF8, "application/json"), "report" } };
        for (var f = 0; f < filesPerReport; f++)
        {
            var part = new ByteArrayContent(images[(index * filesPerReport) + f]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, $"f{f}", $"bench-{index}-{f}.jpg");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", submitterKey);
        request.Headers.Add("Idempotency-Key", string.Create(CultureInfo.InvariantCulture, $"bench-{run}-{index}"));
        return request;
    }

    /// <summary>Creates an API key of <paramref name="role"/> with the admin key; returns the new key.</summary>
    public static async Task<string> CreateKeyAsync(HttpClient http, string adminKey, string role, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/keys") { Content = JsonContent.Create(new { name = "bench-" + role, role }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"creating a {role} key got {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!["key"]!.GetValue<string>();
    }

    /// <summary>A list of random PDQ hashes (the generated images match none of them: the lookup cost is what counts).</summary>
    public static async Task ImportListAsync(HttpClient http, string adminKey, int entries, int seed, CancellationToken cancellationToken)
    {
        var rng = new Random(seed);
        var csv = new StringBuilder(entries * 80);
        var hash = new byte[32];
        for (var i = 0; i < entries; i++)
        {
            rng.NextBytes(hash);
            csv.Append(Convert.ToHexStringLower(hash)).Append(CultureInfo.InvariantCulture, $",100,bench/entry-{i}\n");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/import?format=csv")
        {
            Content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await WaitForImportAsync(http, adminKey, response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for a list import answered with <paramref name="response"/>: 200 is done; 202 (a large import, run in the
    /// background) is followed at its Location until it succeeds. Returns the entries imported.
    /// </summary>
    public static async Task<int> WaitForImportAsync(HttpClient http, string adminKey, HttpResponseMessage response, CancellationToken cancellationToken) =>
        (await WaitForImportRecordAsync(http, adminKey, response, cancellationToken).ConfigureAwait(false))["imported"]!.GetValue<int>();

    /// <summary>As <see cref="WaitForImportAsync"/>, returning the finished import's record (or the 200 answer).</summary>
    public static async Task<JsonNode> WaitForImportRecordAsync(HttpClient http, string adminKey, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return JsonNode.Parse(text)!;
        }

        if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.Location is not { } job)
        {
            throw new InvalidOperationException($"importing the list got {(int)response.StatusCode}: {text}");
        }

        while (true)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            using var poll = new HttpRequestMessage(HttpMethod.Get, job);
            poll.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            using var state = await http.SendAsync(poll, cancellationToken).ConfigureAwait(false);
            var body = JsonNode.Parse(await state.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
            switch (body["state"]?.GetValue<string>())
            {
                case "running":
                    continue;
                case "succeeded":
                    return body;
                default:
                    throw new InvalidOperationException($"the list import failed: {body.ToJsonString()}");
            }
        }
    }
}
