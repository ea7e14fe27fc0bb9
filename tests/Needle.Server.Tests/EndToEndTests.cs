using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing;
using Needle.Testing.Server;
using SkiaSharp;

namespace Needle.Server.Tests;

/// <summary>The whole path over HTTP: list import, report submission, background processing, review, media, audit.</summary>
public sealed class EndToEndTests
{
    private static readonly string[] ListedPhotos = ["photos/p01_keong_macan.png", "photos/p03_flower.png", "photos/p04_flowers.png", "photos/p05_branches.png"];

    [Fact]
    public async Task A_report_is_received_processed_matched_reviewed_and_audited()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);

        // The admin imports a list in `needle hash` CSV (hash,quality,path), as the reference tool prints it.
        var expected = System.IO.File.ReadAllLines(TestPaths.PdqFile("photos/expected.csv"));
        var csv = string.Join('\n', expected.Where(l => ListedPhotos.Any(p => l.EndsWith("," + p, StringComparison.Ordinal)))) + "\n";
        var import = await admin.PostAsync("/api/v1/lists/known-test/import?format=csv", new StringContent(csv, Encoding.UTF8, new MediaTypeHeaderValue("text/csv")));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        Assert.Equal(ListedPhotos.Length, (await RunningServer.JsonAsync(import))["imported"]!.GetValue<int>());

        // A submitter sends a JPEG re-encode of a listed photo, an unrelated photo and a corrupt file.
        var copy = ReencodeAsJpeg(TestPaths.PdqFile("photos/p04_flowers.png"));
        var unrelated = System.IO.File.ReadAllBytes(TestPaths.PdqFile("photos/p11_earth.png"));
        byte[] corrupt = [0xFF, 0xD8, 0xFF, 0xE0, .. Enumerable.Range(0, 2000).Select(i => (byte)(i * 7))];
        var report = new
        {
            externalId = "e2e-1",
            incidentType = "child-pornography",
            description = "Test report (benign test images).",
            files = new object[]
            {
                new { part = "f1", originalName = "flowers.jpg" },
                new { part = "f2", originalName = "earth.png" },
                new { part = "f3", originalName = "broken.jpg" },
            },
        };

        HttpRequestMessage Submission()
        {
            var form = new MultipartFormDataContent
            {
                { new StringContent(System.Text.Json.JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" },
                { Part("image/jpeg", copy), "f1", "flowers.jpg" },
                { Part("image/png", unrelated), "f2", "earth.png" },
                { Part("image/jpeg", corrupt), "f3", "broken.jpg" },
            };
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports") { Content = form };
            request.Headers.Add("Idempotency-Key", "e2e-report-1");
            return request;
        }

        var submitted = await submitter.SendAsync(Submission());
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var accepted = await RunningServer.JsonAsync(submitted);
        var id = Guid.Parse(accepted["id"]!.GetValue<string>());
        Assert.Equal("received", accepted["status"]!.GetValue<string>());
        Assert.Equal($"/api/v1/reports/{id}", submitted.Headers.Location!.OriginalString);

        // The same Idempotency-Key again: the same report, nothing new stored.
        var retried = await submitter.SendAsync(Submission());
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(id, Guid.Parse((await RunningServer.JsonAsync(retried))["id"]!.GetValue<string>()));

        // The reviewer polls until the workers have processed it.
        var stored = await PollProcessedAsync(reviewer, id);
        var files = stored["files"]!.AsArray();
        Assert.Equal(3, files.Count);

        var match = files[0]!;
        Assert.Equal("hashed", match["state"]!.GetValue<string>());
        var matches = match["matches"]!.AsArray();
        var hit = Assert.Single(matches, m => m!["signalType"]!.GetValue<string>() == "pdq")!;
        Assert.Equal("known-test", hit["list"]!.GetValue<string>());
        Assert.Equal("photos/p04_flowers.png", hit["label"]!.GetValue<string>());
        Assert.InRange(hit["distance"]!.GetValue<double>(), 0, 31);
        Assert.Equal("original", hit["transform"]!.GetValue<string>());
        Assert.Equal(1, stored["matchedFileCount"]!.GetValue<int>());

        Assert.Equal("hashed", files[1]!["state"]!.GetValue<string>());
        Assert.Empty(files[1]!["matches"]!.AsArray());
        Assert.NotNull(files[1]!["hashes"]!["pdq"]);

        Assert.Equal("unreadable", files[2]!["state"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(files[2]!["error"]?.GetValue<string>()));
        Assert.NotNull(files[2]!["hashes"]!["md5"]);

        // The listing finds it by list.
        var listing = await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/reports?list=known-test&status=processed"));
        Assert.Contains(listing["items"]!.AsArray(), r => r!["id"]!.GetValue<string>() == id.ToString());

        // Media comes back exactly as sent, uncached, and the read is audited.
        var fileId = Guid.Parse(match["id"]!.GetValue<string>());
        var media = await reviewer.GetAsync(match["media"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, media.StatusCode);
        Assert.Equal(copy, await media.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/jpeg", media.Content.Headers.ContentType!.MediaType);
        Assert.True(media.Headers.CacheControl!.NoStore);

        var audit = await RunningServer.JsonAsync(await auditor.GetAsync("/api/v1/audit?limit=1000"));
        var reads = audit["items"]!.AsArray().Where(e => e!["action"]!.GetValue<string>() == "media.read").ToList();
        var read = Assert.Single(reads)!;
        Assert.Equal($"file/{fileId:N}", read["target"]!.GetValue<string>());

        var verify = await RunningServer.JsonAsync(await auditor.GetAsync("/api/v1/audit/verify"));
        Assert.True(verify["isIntact"]!.GetValue<bool>(), verify.ToJsonString());
        Assert.True(verify["entriesChecked"]!.GetValue<long>() >= 8);
    }

    [Fact]
    public async Task Lookup_and_HMA_routes_match_without_storing()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/c/banks", new { name = "BANK_A" })).StatusCode);
        var photo = System.IO.File.ReadAllBytes(TestPaths.PdqFile("photos/p04_flowers.png"));
        var banked = await admin.PostAsync("/c/bank/BANK_A/content", Form("photo", photo, "flowers.png"));
        Assert.Equal(HttpStatusCode.OK, banked.StatusCode);
        var bankedBody = await RunningServer.JsonAsync(banked);
        var pdq = bankedBody["signals"]!["pdq"]!.GetValue<string>();

        var hashed = await RunningServer.JsonAsync(await submitter.PostAsync("/h/hash", Form("photo", photo, "flowers.png")));
        Assert.Equal(pdq, hashed["pdq"]!.GetValue<string>());

        var lookup = await RunningServer.JsonAsync(await submitter.GetAsync($"/m/lookup?signal_type=pdq&signal={pdq}"));
        Assert.Equal("0", lookup["BANK_A"]![0]!["distance"]!.GetValue<string>());

        var raw = await RunningServer.JsonAsync(await submitter.GetAsync($"/m/raw_lookup?signal_type=pdq&signal={pdq}&include_distance=true"));
        Assert.Equal(bankedBody["id"]!.GetValue<int>(), raw["matches"]![0]!["bank_content_id"]!.GetValue<int>());

        var media = await RunningServer.JsonAsync(await submitter.PostAsync("/m/lookup", Form("photo", ReencodeAsJpeg(TestPaths.PdqFile("photos/p04_flowers.png")), "x.jpg")));
        Assert.NotEmpty(media["pdq"]!["BANK_A"]!.AsArray());

        var ours = await RunningServer.JsonAsync(await submitter.PostAsJsonAsync("/api/v1/lookup", new { pdq }));
        Assert.Equal("match", ours["results"]![0]!["status"]!.GetValue<string>());

        var url = await submitter.GetAsync("/h/hash?url=http://127.0.0.1/x.png");
        Assert.Equal(HttpStatusCode.BadRequest, url.StatusCode);

        // Nothing was stored by the lookups.
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        Assert.Empty((await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/reports")))["items"]!.AsArray());
    }

    [Fact]
    public async Task List_entries_can_be_added_disabled_exported_and_removed_and_the_matcher_follows()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "md5s", kind = "known" })).StatusCode);
        const string Md5 = "0123456789abcdef0123456789abcdef";
        var added = await admin.PostAsJsonAsync("/api/v1/lists/md5s/entries", new { entries = new[] { new { signalType = "md5", value = Md5.ToUpperInvariant(), label = "item-1" } } });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var entryId = (await RunningServer.JsonAsync(added))["added"]![0]!["id"]!.GetValue<int>();

        async Task<string> StatusAsync() =>
            (await RunningServer.JsonAsync(await submitter.PostAsJsonAsync("/api/v1/lookup", new { md5 = Md5 })))["results"]![0]!["status"]!.GetValue<string>();

        Assert.Equal("match", await StatusAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/v1/lists/md5s/entries/{entryId}", new { enabled = false })).StatusCode);
        Assert.Equal("no-match", await StatusAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsJsonAsync($"/api/v1/lists/md5s/entries/{entryId}", new { enabled = true })).StatusCode);

        var export = await admin.GetAsync("/api/v1/lists/md5s/export?format=needle");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Contains(Md5, await export.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/lists/md5s/entries/{entryId}")).StatusCode);
        Assert.Equal("no-match", await StatusAsync());

        var bad = await admin.PostAsJsonAsync("/api/v1/lists/md5s/entries", new { entries = new[] { new { signalType = "md5", value = "xyz" } } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("entries[0].value", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static byte[] ReencodeAsJpeg(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
        return data.ToArray();
    }

    private static ByteArrayContent Part(string contentType, byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private static MultipartFormDataContent Form(string part, byte[] bytes, string fileName) =>
        new() { { Part("application/octet-stream", bytes), part, fileName } };

    internal static async Task<JsonNode> PollProcessedAsync(HttpClient reviewer, Guid id)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (true)
        {
            var response = await reviewer.GetAsync($"/api/v1/reports/{id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await RunningServer.JsonAsync(response);
            if (body["status"]!.GetValue<string>() == "processed")
            {
                return body;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not processed within 60 s: " + body.ToJsonString());
            await Task.Delay(100);
        }
    }
}
