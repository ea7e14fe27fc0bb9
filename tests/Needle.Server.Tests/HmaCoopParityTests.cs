using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Server.UrlFetch;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Replays, against a real Needle server, every call ROOST's Coop makes to HMA through its <c>hmaService</c>
/// (roostorg/coop server/services/hmaService/index.ts), with the request shapes Coop sends and the response fields Coop
/// reads, using one integration key and nothing but an Authorization header added. The exchange calls
/// (<c>/c/exchanges*</c>, <c>/c/exchange/{name}</c>) belong to the exchanges work and are tested there. Also HMA's
/// own shapes Coop does not use: the coin flip, content metadata and enable state, <c>/m/compare</c>,
/// <c>/m/index/status</c>, <c>/status</c>, and 404/405 for unknown routes and methods.
/// </summary>
public sealed class HmaCoopParityTests : IDisposable
{
    private static readonly byte[] Flowers = File.ReadAllBytes(TestPaths.PdqFile("photos/p04_flowers.png"));
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "needle-hma-" + Guid.NewGuid().ToString("N"));

    public HmaCoopParityTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    internal static MultipartFormDataContent Photo(byte[] bytes, string part = "photo", string fileName = "flowers.png", string mediaType = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return new MultipartFormDataContent { { content, part, fileName } };
    }

    [Fact]
    public async Task Every_call_Coop_makes_works_with_an_integration_key()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["127.0.0.1"], AllowLoopbackForTesting = true },
        });
        var coop = server.Client((await server.CreateKeyAsync(ApiRole.Integration, "coop")).Key);

        // createBank without an exchange: POST /c/banks {name, enabled_ratio: "<ratio as a string>"}.
        var created = await coop.PostAsync("/c/banks", Json("""{"name":"COOP_ORG1_MY_BANK","enabled_ratio":"1"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        AssertBank(await RunningServer.JsonAsync(created), "COOP_ORG1_MY_BANK", 1.0);
        var half = await coop.PostAsync("/c/banks", Json("""{"name":"COOP_ORG1_HALF","enabled_ratio":"0.5"}"""));
        Assert.Equal(HttpStatusCode.Created, half.StatusCode);
        AssertBank(await RunningServer.JsonAsync(half), "COOP_ORG1_HALF", 0.5);

        // getBank / getBankById / listBanks: GET /c/bank/{hma_name}, 200 for a bank, 404 for none (Coop then drops its copy).
        AssertBank(await RunningServer.JsonAsync(await coop.GetAsync("/c/bank/COOP_ORG1_HALF")), "COOP_ORG1_HALF", 0.5);
        Assert.Equal(HttpStatusCode.NotFound, (await coop.GetAsync("/c/bank/COOP_ORG1_GONE")).StatusCode);

        // updateBank (ratio only), and createBank with an exchange (ratio set after): PUT /c/bank/{hma_name} {enabled_ratio: number}.
        var updated = await coop.PutAsync("/c/bank/COOP_ORG1_HALF", Json("""{"enabled_ratio":0.25}"""));
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        AssertBank(await RunningServer.JsonAsync(updated), "COOP_ORG1_HALF", 0.25);
        AssertBank(await RunningServer.JsonAsync(await coop.GetAsync("/c/bank/COOP_ORG1_HALF")), "COOP_ORG1_HALF", 0.25);

        // updateBank with a new name: POST /c/banks with the new name, then DELETE /c/bank/{old}.
        Assert.Equal(HttpStatusCode.Created, (await coop.PostAsync("/c/banks", Json("""{"name":"COOP_ORG1_RENAMED","enabled_ratio":"0.25"}"""))).StatusCode);
        var deleted = await coop.DeleteAsync("/c/bank/COOP_ORG1_HALF");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal("Done", (await RunningServer.JsonAsync(deleted))["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await coop.GetAsync("/c/bank/COOP_ORG1_HALF")).StatusCode);

        // deleteBank of a bank HMA no longer has still answers 200, as HMA's does.
        Assert.Equal(HttpStatusCode.OK, (await coop.DeleteAsync("/c/bank/COOP_ORG1_HALF")).StatusCode);

        // addContentToBank with a file: multipart part named by the content type, with content_id, content_uri and metadata (Coop's free JSON) fields.
        var form = Photo(Flowers);
        form.Add(new StringContent("item-42"), "content_id");
        form.Add(new StringContent("https://coop.example/items/42"), "content_uri");
        form.Add(new StringContent("""{"reporter":"trust-and-safety","score":3}"""), "metadata");
        var added = await coop.PostAsync("/c/bank/COOP_ORG1_MY_BANK/content", form);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var addedBody = await RunningServer.JsonAsync(added);
        var photoId = addedBody["id"]!.GetValue<int>();
        var pdq = addedBody["signals"]!["pdq"]!.GetValue<string>();
        Assert.Equal(Md5(Flowers), addedBody["signals"]!["md5"]!.GetValue<string>());

        var content = await RunningServer.JsonAsync(await coop.GetAsync($"/c/bank/COOP_ORG1_MY_BANK/content/{photoId}?include_signals=true"));
        Assert.Equal(photoId, content["id"]!.GetValue<int>());
        Assert.Equal(1, content["disable_until_ts"]!.GetValue<long>());
        AssertBank(content["bank"]!, "COOP_ORG1_MY_BANK", 1.0);
        Assert.Equal(pdq, content["signals"]!["pdq"]!.GetValue<string>());
        Assert.Equal("item-42", content["metadata"]!["content_id"]!.GetValue<string>());
        Assert.Equal("https://coop.example/items/42", content["metadata"]!["content_uri"]!.GetValue<string>());
        Assert.Equal(3, content["metadata"]!["json"]!["score"]!.GetValue<int>());

        // addContentToBank with a video: part "video", HMA's video_md5 signal.
        var video = File.ReadAllBytes(MakeVideo());
        var videoAdded = await coop.PostAsync("/c/bank/COOP_ORG1_MY_BANK/content", Photo(video, "video", "clip.mp4", "video/mp4"));
        Assert.Equal(HttpStatusCode.OK, videoAdded.StatusCode);
        var videoBody = await RunningServer.JsonAsync(videoAdded);
        Assert.Equal(Md5(video), videoBody["signals"]!["video_md5"]!.GetValue<string>());
        var videoId = videoBody["id"]!.GetValue<int>();

        // The server hashes videos, so the item also has a vPDQ signal, under the content's id; a re-encoded copy finds it.
        var vpdq = videoBody["signals"]!["vpdq"]!.GetValue<string>();
        var videoContent = await RunningServer.JsonAsync(await coop.GetAsync($"/c/bank/COOP_ORG1_MY_BANK/content/{videoId}?include_signals=true"));
        Assert.Equal(vpdq, videoContent["signals"]!["vpdq"]!.GetValue<string>());
        var reencoded = File.ReadAllBytes(MakeVideo("copy.mp4", "-crf", "35"));
        Assert.NotEqual(Md5(video), Md5(reencoded));
        var hashedCopy = await RunningServer.JsonAsync(await coop.PostAsync("/h/hash", Photo(reencoded, "video", "copy.mp4", "video/mp4")));
        var nearDuplicate = await RunningServer.JsonAsync(await coop.GetAsync("/m/lookup?signal_type=vpdq&signal=" + Uri.EscapeDataString(hashedCopy["vpdq"]!.GetValue<string>())));
        Assert.Equal(videoId, nearDuplicate["COOP_ORG1_MY_BANK"]![0]!["bank_content_id"]!.GetValue<int>());

        // addContentToBank with a URL: POST /c/bank/{name}/content?url=&content_id=&content_uri=&metadata= and no body.
        var url = media.Url("/flowers.png");
        var byUrl = await coop.PostAsync(
            $"/c/bank/COOP_ORG1_RENAMED/content?url={Uri.EscapeDataString(url)}&content_id=item-43&content_uri={Uri.EscapeDataString("https://coop.example/items/43")}&metadata={Uri.EscapeDataString("""{"via":"url"}""")}",
            null);
        Assert.Equal(HttpStatusCode.OK, byUrl.StatusCode);
        var byUrlBody = await RunningServer.JsonAsync(byUrl);
        Assert.Equal(pdq, byUrlBody["signals"]!["pdq"]!.GetValue<string>());
        var urlContent = await RunningServer.JsonAsync(await coop.GetAsync($"/c/bank/COOP_ORG1_RENAMED/content/{byUrlBody["id"]!.GetValue<int>()}"));
        Assert.Equal("item-43", urlContent["metadata"]!["content_id"]!.GetValue<string>());
        Assert.Equal("url", urlContent["metadata"]!["json"]!["via"]!.GetValue<string>());
        Assert.Null(urlContent["signals"]);

        // hashContentFromUrl (item and report submission): GET /h/hash?url= -> {signal_type: hash}.
        var hashes = (await RunningServer.JsonAsync(await coop.GetAsync("/h/hash?url=" + Uri.EscapeDataString(url)))).AsObject();
        Assert.Equal(pdq, hashes["pdq"]!.GetValue<string>());

        // checkImageMatchWithDetails: for each hash from /h/hash, GET /m/lookup?signal=&signal_type= -> {bank: [{bank_content_id, distance}]}.
        // The banks' enabled ratios apply: COOP_ORG1_RENAMED (0.25) may sit this item out, COOP_ORG1_MY_BANK (1.0) never does.
        foreach (var (signalType, hash) in hashes)
        {
            var lookup = await RunningServer.JsonAsync(await coop.GetAsync($"/m/lookup?signal={hash!.GetValue<string>()}&signal_type={signalType}"));
            var hit = Assert.Single(lookup["COOP_ORG1_MY_BANK"]!.AsArray())!;
            Assert.Equal(photoId, hit["bank_content_id"]!.GetValue<int>());
            Assert.Equal("0", hit["distance"]!.GetValue<string>());
        }

        // lookupContent with a video hash under HMA's name.
        var videoLookup = await RunningServer.JsonAsync(await coop.GetAsync($"/m/lookup?signal={Md5(video)}&signal_type=video_md5"));
        Assert.Equal(videoId, videoLookup["COOP_ORG1_MY_BANK"]![0]!["bank_content_id"]!.GetValue<int>());

        // lookupContent with a URL and a content type: GET /m/lookup?url=&content_type=photo -> {signal_type: {bank: [...]}}.
        var urlLookup = await RunningServer.JsonAsync(await coop.GetAsync($"/m/lookup?url={Uri.EscapeDataString(url)}&content_type=photo&bypass_coinflip=true"));
        Assert.Equal(photoId, urlLookup["pdq"]!["COOP_ORG1_MY_BANK"]![0]!["bank_content_id"]!.GetValue<int>());
        Assert.Equal(byUrlBody["id"]!.GetValue<int>(), urlLookup["pdq"]!["COOP_ORG1_RENAMED"]![0]!["bank_content_id"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_enabled_ratio_samples_content_deterministically_and_bypass_coinflip_skips_it()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Integration)).Key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/c/banks", new { name = "OFF", enabled_ratio = 0.0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/c/banks", new { name = "HALF", enabled = true })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/c/bank/HALF", new { enabled_ratio = 0.5 })).StatusCode);
        const string md5 = "0123456789abcdef0123456789abcdef";
        foreach (var bank in new[] { "OFF", "HALF" })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/c/bank/{bank}/signal", new Dictionary<string, string> { ["md5"] = md5 })).StatusCode);
        }

        var banks = (await RunningServer.JsonAsync(await client.GetAsync("/c/banks"))).AsArray();
        Assert.Equal(0.0, banks.Single(b => b!["name"]!.GetValue<string>() == "OFF")!["matching_enabled_ratio"]!.GetValue<double>());
        Assert.Equal(0.5, banks.Single(b => b!["name"]!.GetValue<string>() == "HALF")!["matching_enabled_ratio"]!.GetValue<double>());

        var half = 0;
        const int seeds = 200;
        for (var seed = 0; seed < seeds; seed++)
        {
            var lookup = await RunningServer.JsonAsync(await client.GetAsync($"/m/lookup?signal_type=md5&signal={md5}&seed=item-{seed}"));
            Assert.Null(lookup["OFF"]);
            var again = await RunningServer.JsonAsync(await client.GetAsync($"/m/lookup?signal_type=md5&signal={md5}&seed=item-{seed}"));
            Assert.Equal(lookup["HALF"] is null, again["HALF"] is null);
            half += lookup["HALF"] is null ? 0 : 1;
        }

        // About half of the items: far from none and from all (a fair split of 200 lands outside 60..140 with p < 1e-8).
        Assert.InRange(half, 60, 140);

        var bypass = await RunningServer.JsonAsync(await client.GetAsync($"/m/lookup?signal_type=md5&signal={md5}&bypass_coinflip=true"));
        Assert.NotNull(bypass["OFF"]);
        Assert.NotNull(bypass["HALF"]);

        // Raw lookups never flip a coin.
        var raw = await RunningServer.JsonAsync(await client.GetAsync($"/m/raw_lookup?signal_type=md5&signal={md5}"));
        Assert.Equal(2, raw["matches"]!.AsArray().Count);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync("/c/bank/HALF", new { enabled_ratio = 1.5 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsJsonAsync("/c/bank/HALF", new { name = "OTHER" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync("/c/bank/NONE", new { enabled_ratio = 0.5 })).StatusCode);
    }

    [Fact]
    public async Task Content_note_and_enable_state_round_trip_and_disabled_content_stops_matching()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Integration)).Key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/c/banks", new { name = "NOTES" })).StatusCode);
        var added = await RunningServer.JsonAsync(await client.PostAsJsonAsync("/c/bank/NOTES/signal", new Dictionary<string, string>
        {
            ["pdq"] = new string('f', 64),
            ["video_md5"] = "0123456789ABCDEF0123456789ABCDEF",
            ["note"] = "confirmed by analyst 7",
        }));
        var id = added["id"]!.GetValue<int>();
        Assert.Equal("0123456789abcdef0123456789abcdef", added["signals"]!["video_md5"]!.GetValue<string>());

        var content = await RunningServer.JsonAsync(await client.GetAsync($"/c/bank/NOTES/content/{id}?include_signals=true"));
        Assert.Equal("confirmed by analyst 7", content["note"]!.GetValue<string>());
        Assert.Equal(2, content["signals"]!.AsObject().Count);
        Assert.Null(content["metadata"]);
        Assert.True(content.AsObject().ContainsKey("original_media_uri"));

        // Both signals report the content id.
        var byMd5 = await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?signal_type=md5&signal=0123456789abcdef0123456789abcdef"));
        Assert.Equal(id, byMd5["NOTES"]![0]!["bank_content_id"]!.GetValue<int>());

        var disabled = await client.PutAsJsonAsync($"/c/bank/NOTES/content/{id}", new { disable_until_ts = 0 });
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal(0, (await RunningServer.JsonAsync(disabled))["disable_until_ts"]!.GetValue<long>());
        Assert.Equal(0, (await RunningServer.JsonAsync(await client.GetAsync($"/c/bank/NOTES/content/{id}")))["disable_until_ts"]!.GetValue<long>());
        Assert.Null((await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?signal_type=video_md5&signal=0123456789abcdef0123456789abcdef")))["NOTES"]);

        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync($"/c/bank/NOTES/content/{id}", new { disable_until_ts = 1 })).StatusCode);
        Assert.NotNull((await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?signal_type=video_md5&signal=0123456789abcdef0123456789abcdef")))["NOTES"]);

        // A timed disable is refused with the reason, not silently changed.
        var timed = await client.PutAsJsonAsync($"/c/bank/NOTES/content/{id}", new { disable_until_ts = 1900000000 });
        Assert.Equal(HttpStatusCode.BadRequest, timed.StatusCode);
        Assert.Contains("timed disable is not supported", await timed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/c/bank/NOTES/signal", new Dictionary<string, string> { ["md5"] = new string('a', 32), ["note"] = new string('n', 256) })).StatusCode);

        var removed = await RunningServer.JsonAsync(await client.DeleteAsync($"/c/bank/NOTES/content/{id}"));
        Assert.Equal(1, removed["deleted"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/c/bank/NOTES/content/{id}")).StatusCode);
        Assert.Null((await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?signal_type=md5&signal=0123456789abcdef0123456789abcdef&bypass_coinflip=true")))["NOTES"]);
    }

    [Fact]
    public async Task Compare_index_status_and_status_have_HMA_shapes()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        // HMA's own example: two PDQ hashes 9 bits apart.
        const string a = "facd8bcb2a49bcebdec1985298d5fe84bcd006c187c598c720c3c087b3fdb318";
        const string b = "facd8bcb2a49bcebdec1985228d5ae84bcd006c187c598c720c2b087b3fdb318";
        var compared = await RunningServer.JsonAsync(await client.PostAsJsonAsync("/m/compare", new Dictionary<string, string[]> { ["pdq"] = [a, b], ["md5"] = [new string('a', 32), new string('b', 32)] }));
        Assert.Equal("""{"pdq":[true,{"distance":9}],"md5":[false,{"distance":1}]}""", compared.ToJsonString());
        foreach (var bad in new[] { """["banana"]""", """{"pdq":"banana"}""", """{"pdq":[]}""", """{"pdq":["banana","banana"]}""", $$"""{"pdq":["{{a}}","{{b}}","{{a}}"]}""", """{"nope":["a","b"]}""" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/m/compare", Json(bad))).StatusCode);
        }

        var admin = server.Client(server.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/c/banks", new { name = "SIZES" })).StatusCode);
        await admin.PostAsJsonAsync("/c/bank/SIZES/signal", new Dictionary<string, string> { ["pdq"] = a, ["md5"] = new string('c', 32) });
        var status = await RunningServer.JsonAsync(await client.GetAsync("/m/index/status"));
        Assert.True(status["pdq"]!["present"]!.GetValue<bool>());
        Assert.Equal(1, status["pdq"]!["size"]!.GetValue<int>());
        Assert.Equal(1, status["video_md5"]!["size"]!.GetValue<int>());
        Assert.True(status["pdq"]!["built_to"]!.GetValue<long>() > 0);
        Assert.Single((await RunningServer.JsonAsync(await client.GetAsync("/m/index/status?signal_type=pdq"))).AsObject());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/m/index/status?signal_type=nope")).StatusCode);

        // The health probes answer without a key, as HMA's do.
        var anonymous = server.Client();
        foreach (var probe in new[] { "/status", "/status/live" })
        {
            var response = await anonymous.GetAsync(probe);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("I-AM-ALIVE", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Unknown_routes_and_wrong_methods_answer_404_and_405_to_a_key_and_401_without()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Integration)).Key);
        var anonymous = server.Client();

        foreach (var path in new[] { "/c/nothing", "/m/nothing/here", "/api/v1/nothing", "/nothing" })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }

        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/c/banks");
        var wrong = await client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrong.StatusCode);
        Assert.Contains("GET", wrong.Content.Headers.Allow);
        Assert.Contains("POST", wrong.Content.Headers.Allow);
        using var anonymousPatch = new HttpRequestMessage(HttpMethod.Patch, "/c/banks");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(anonymousPatch)).StatusCode);

        // The role still decides on a route that exists: an integration key is not an admin.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/lists")).StatusCode);
    }

    private static void AssertBank(JsonNode bank, string name, double ratio)
    {
        Assert.Equal(name, bank["name"]!.GetValue<string>());
        Assert.Equal(ratio, bank["matching_enabled_ratio"]!.GetValue<double>());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    private string MakeVideo(string name = "clip.mp4", params string[] quality)
    {
        var output = Path.Combine(_folder, name);
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=5", "-t", "2",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", .. quality, output])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg could not make the clip: {stderr}");
        return output;
    }
}
