using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Needle.Core.Access;
using Needle.Testing.Images;
using Needle.Testing.Server;
using SkiaSharp;

namespace Needle.Server.Tests;

/// <summary>
/// Review thumbnails and reveals decode through the hasher's guarded decoder, over real HTTP with a signed-in reviewer:
/// a file the hasher refused (a 20000x20000 PNG, a header claiming 65000x65000, a truncated JPEG) is never decoded for
/// display and answers a 422 problem with the reason; the report page says "cannot be shown" with it, and never a path.
/// </summary>
public sealed partial class ProtectedImageTests
{
    [Fact]
    public async Task Files_the_hasher_refused_are_not_decoded_for_display_and_say_why()
    {
        await using var server = await RunningServer.StartAsync();
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer, "Analyst")).Key;
        var submitterKey = (await server.CreateKeyAsync(ApiRole.Submitter, "Platform")).Key;

        var photo = TestJpegs.Photo("p05_branches.png", 640, 480);
        var cut = photo.AsSpan(0, photo.Length / 2).ToArray().Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
        var huge = HostilePngs.HugeGrey(20000, 20000);
        Assert.True(huge.Length < 1024 * 1024, $"the 20000x20000 PNG is {huge.Length:N0} bytes");
        (string Name, byte[] Bytes)[] files =
        [
            ("photo.jpg", photo),
            ("huge.png", huge),
            ("claims.png", HostilePngs.HeaderOnly(65000, 65000)),
            ("cut.jpg", cut),
        ];
        var reportId = await SubmitAsync(server.Client(submitterKey), files);
        var report = await EndToEndTests.PollProcessedAsync(server.Client(reviewerKey), reportId);
        var stored = report["files"]!.AsArray();
        Assert.Equal("hashed", stored[0]!["state"]!.GetValue<string>());
        Assert.All(stored.Skip(1), f => Assert.Equal("unreadable", f!["state"]!.GetValue<string>()));

        using var reviewer = await SignedInAsync(server, reviewerKey);
        var ids = stored.Select(f => Guid.Parse(f!["id"]!.GetValue<string>())).ToArray();

        // The readable photo: a blurred PNG thumbnail and a JPEG reveal, as before.
        var thumbnail = await reviewer.GetAsync($"/web/files/{ids[0]}/thumbnail");
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/png", thumbnail.Content.Headers.ContentType!.MediaType);
        using (var shown = SKBitmap.Decode(await thumbnail.Content.ReadAsByteArrayAsync()))
        {
            Assert.True(Math.Max(shown.Width, shown.Height) <= 96, $"{shown.Width}x{shown.Height}");
        }

        Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/web/files/{ids[0]}/reveal")).StatusCode);

        // Refused by the hasher: 422 with its reason, for the thumbnail and the reveal alike; never 500.
        string[] reasons =
        [
            "cannot be shown: the header claims 20000x20000 pixels (400,000,000), more than the limit of 100,000,000 pixels",
            "cannot be shown: the header claims 65000x65000 pixels",
            "cannot be shown: truncated: the JPEG data ends at an end marker inside the image data",
        ];
        for (var i = 1; i < ids.Length; i++)
        {
            foreach (var view in new[] { "thumbnail", "reveal" })
            {
                var response = await reviewer.GetAsync($"/web/files/{ids[i]}/{view}");
                Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
                using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var detail = problem.RootElement.GetProperty("detail").GetString()!;
                Assert.StartsWith(reasons[i - 1], detail, StringComparison.Ordinal);
                Assert.DoesNotContain("/", detail, StringComparison.Ordinal);
            }
        }

        // The report page says so in words, with the reason and no path.
        var page = await reviewer.GetStringAsync($"/reports/{reportId}");
        var cards = CannotBeShownCards().Matches(page);
        Assert.Equal(3, cards.Count);
        Assert.Contains("cannot be shown: truncated: the JPEG data ends", page, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), page, StringComparison.Ordinal);
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, (string Name, byte[] Bytes)[] files)
    {
        var report = new
        {
            externalId = "HOSTILE-MEDIA",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = files.Select((f, i) => new { part = $"f{i}", originalName = f.Name }).ToArray(),
        };
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < files.Length; i++)
        {
            var content = new ByteArrayContent(files[i].Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(files[i].Name.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg");
            form.Add(content, $"f{i}", files[i].Name);
        }

        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    /// <summary>A client with a reviewer's session cookie, signed in through the form like a browser.</summary>
    internal static async Task<HttpClient> SignedInAsync(RunningServer server, string key)
    {
        var handler = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        var client = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        var form = await client.GetStringAsync("/signin");
        var fields = HiddenInputs().Matches(form).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
        fields["key"] = key;
        var response = await client.PostAsync("/signin", new FormUrlEncodedContent(fields));
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found, $"sign-in answered {response.StatusCode}");
        return client;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\"")]
    private static partial Regex HiddenInputs();

    [GeneratedRegex("data-cannot-be-shown=\"true\"")]
    private static partial Regex CannotBeShownCards();
}
