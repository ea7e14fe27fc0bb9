using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Server;
using Needle.Video;

namespace Needle.Server.Tests;

/// <summary>
/// Videos through the real server and SQLite file: a report with a clip cut from a listed video matches it with the
/// right time ranges, a broken video is a per-file error in a processed report, and the lookup API takes a video
/// upload or a vPDQ hash. Videos are made by ffmpeg from its lavfi sources (benign).
/// </summary>
public sealed class VideoReportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "needle-server-video-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _source;
    private readonly string _clip;
    private readonly string _unrelated;

    public VideoReportTests()
    {
        Directory.CreateDirectory(_folder);
        _source = Make("source.mp4", "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        _clip = Make("clip.mp4", "-ss", "20", "-i", _source, "-t", "10", "-c:v", "libx264", "-preset", "ultrafast");
        _unrelated = Make("unrelated.webm", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "15", "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_clip_of_a_listed_video_matches_with_its_time_ranges_and_a_broken_video_is_a_file_error()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        await ListSourceAsync(admin);

        // A clip (20-30 s of the listed video), an unrelated video, and a broken one: an MP4 header and then noise.
        var broken = File.ReadAllBytes(_source)[..4096];
        new Random(8).NextBytes(broken.AsSpan(64));
        var id = await SubmitAsync(submitter,
            ("clip", "clip.mp4", File.ReadAllBytes(_clip)), ("other", "other.webm", File.ReadAllBytes(_unrelated)), ("broken", "broken.mp4", broken));
        var report = await EndToEndTests.PollProcessedAsync(reviewer, id);
        var files = report["files"]!.AsArray();

        var clip = files[0]!;
        Assert.Equal("hashed", clip["state"]!.GetValue<string>());
        Assert.Equal("video", clip["format"]!.GetValue<string>());
        var summary = clip["video"]!;
        Assert.InRange(summary["duration"]!.GetValue<double>(), 9.5, 10.5);
        Assert.InRange(summary["hashedFrames"]!.GetValue<int>(), 8, 11);
        Assert.Equal(summary["hashedFrames"]!.GetValue<int>(), summary["vpdq"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(32, clip["hashes"]!["md5"]!.GetValue<string>().Length);
        AssertClipMatch(Assert.Single(clip["matches"]!.AsArray())!);
        Assert.Equal(1, report["matchedFileCount"]!.GetValue<int>());

        var other = files[1]!;
        Assert.Equal("hashed", other["state"]!.GetValue<string>());
        Assert.Empty(other["matches"]!.AsArray());

        var bad = files[2]!;
        Assert.Equal("unreadable", bad["state"]!.GetValue<string>());
        Assert.StartsWith("video: ", bad["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(bad["video"]);
        Assert.Equal(32, bad["hashes"]!["md5"]!.GetValue<string>().Length);

        // Nothing decrypted is left behind for ffmpeg.
        Assert.Empty(Directory.EnumerateFiles(server.Options.MediaTempDirectory!, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_video_too_large_to_hash_within_a_request_is_refused_on_both_lookup_routes()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0, MaxVideoLookupBytes = 1024 });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        foreach (var (route, part) in new[] { ("/api/v1/lookup", "file"), ("/m/lookup", "photo") })
        {
            using var form = new MultipartFormDataContent();
            var content = new ByteArrayContent(File.ReadAllBytes(_clip));
            content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            form.Add(content, part, "clip.mp4");
            var response = await submitter.PostAsync(route, form);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var detail = (await RunningServer.JsonAsync(response))["detail"]!.GetValue<string>();
            Assert.Contains("submit it as a report", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Lookup_takes_a_video_upload_or_a_vpdq_hash_and_returns_time_ranges()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        await ListSourceAsync(admin);

        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(File.ReadAllBytes(_clip));
        content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
        form.Add(content, "file", "clip.mp4");
        var response = await submitter.PostAsync("/api/v1/lookup", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await RunningServer.JsonAsync(response))["results"]![0]!;
        Assert.Equal("match", result["status"]!.GetValue<string>());
        Assert.InRange(result["video"]!["duration"]!.GetValue<double>(), 9.5, 10.5);
        AssertClipMatch(Assert.Single(result["matches"]!.AsArray())!);

        // The same clip's vPDQ hash in Meta's text format, as another vPDQ user would send it.
        var vpdq = result["video"]!["vpdq"]!.GetValue<string>();
        response = await submitter.PostAsJsonAsync("/api/v1/lookup", new { vpdq });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        result = (await RunningServer.JsonAsync(response))["results"]![0]!;
        Assert.Equal("match", result["status"]!.GetValue<string>());
        AssertClipMatch(Assert.Single(result["matches"]!.AsArray())!);

        // HMA's routes: the vPDQ signal in the query string, and a video upload (MD5 and vPDQ by bank).
        var hma = await RunningServer.JsonAsync(await submitter.GetAsync("/m/lookup?signal_type=vpdq&signal=" + Uri.EscapeDataString(vpdq.Replace('\n', ';'))));
        var hmaMatch = Assert.Single(hma["videos"]!.AsArray())!;
        Assert.True(hmaMatch["query_match_percent"]!.GetValue<double>() >= 80);
        Assert.InRange(Assert.Single(hmaMatch["segments"]!.AsArray())!["bank_start"]!.GetValue<double>(), 19, 21);
        var upload = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(_clip)), "photo", "clip.mp4" } };
        hma = await RunningServer.JsonAsync(await submitter.PostAsync("/m/lookup", upload));
        Assert.Empty(hma["md5"]!.AsObject());
        Assert.Equal(hmaMatch["bank_content_id"]!.GetValue<int>(), Assert.Single(hma["vpdq"]!["videos"]!.AsArray())!["bank_content_id"]!.GetValue<int>());

        // An unrelated video's hash finds nothing; a malformed one is a 400.
        var unrelated = new VideoHasher().Hash(_unrelated);
        response = await submitter.PostAsJsonAsync("/api/v1/lookup", new { vpdq = string.Join('\n', unrelated.Frames.Select(VpdqFormat.FormatLine)) });
        Assert.Equal("no-match", (await RunningServer.JsonAsync(response))["results"]![0]!["status"]!.GetValue<string>());
        response = await submitter.PostAsJsonAsync("/api/v1/lookup", new { vpdq = "0,100,nothex,0.000" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    /// <summary>The listed video matched as a clip: the 10 s of the query are 20-30 s of the listed video.</summary>
    private static void AssertClipMatch(JsonNode match)
    {
        Assert.Equal("videos", match["list"]!.GetValue<string>());
        Assert.Equal("vpdq", match["signalType"]!.GetValue<string>());
        Assert.Equal("source.mp4", match["label"]!.GetValue<string>());
        var video = match["video"]!;
        Assert.Contains("clip", video["rule"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(video["queryPercent"]!.GetValue<double>() >= 80);
        var segment = Assert.Single(video["segments"]!.AsArray())!;
        Assert.InRange(segment["queryStart"]!.GetValue<double>(), 0, 1);
        Assert.InRange(segment["queryEnd"]!.GetValue<double>(), 9, 11);
        Assert.InRange(segment["knownStart"]!.GetValue<double>(), 19, 21);
        Assert.InRange(segment["knownEnd"]!.GetValue<double>(), 29, 31);
    }

    private async Task ListSourceAsync(HttpClient admin)
    {
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "videos", kind = "known" })).StatusCode);
        var frames = new VideoHasher().Hash(_source).Frames;
        var response = await admin.PostAsJsonAsync("/api/v1/lists/videos/entries", new
        {
            entries = new[] { new { signalType = "vpdq", value = VideoListIndex.FormatValue(frames), label = "source.mp4" } },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, params (string Part, string Name, byte[] Bytes)[] files)
    {
        var report = new { externalId = "video", files = files.Select(f => new { part = f.Part, originalName = f.Name }).ToArray() };
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        foreach (var (part, name, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
            form.Add(content, part, name);
        }

        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private string Make(string name, params string[] arguments)
    {
        var output = Path.Combine(_folder, name);
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", .. arguments, output])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg could not make {name}: {stderr}");
        return output;
    }
}
