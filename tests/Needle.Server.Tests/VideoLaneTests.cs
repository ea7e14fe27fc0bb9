using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Needle.Core.Access;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Videos run in their own lane: with the one video-lane worker held by a slow ffmpeg (a wrapper that says when it starts
/// and waits for the test's signal file) and a second video queued before it, an image report sent last is processed by
/// the other worker; the queued video is not started by it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VideoLaneTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "needle-video-lane-" + Guid.NewGuid().ToString("N")[..8]);

    public VideoLaneTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task An_image_report_is_processed_while_every_video_lane_worker_is_busy_and_another_video_waits()
    {
        var clip = MakeClip();
        var log = Path.Combine(_folder, "ffmpeg.log");
        var go = Path.Combine(_folder, "go");
        var ffmpeg = Path.Combine(_folder, "ffmpeg");

        // Says it started, then waits for the go file (at most 120 s, so a failing test cannot hang), then runs the real one.
        await File.WriteAllTextAsync(ffmpeg, $"#!/bin/sh\necho start >> {log}\ni=0\nwhile [ ! -f {go} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done\nexec /usr/bin/ffmpeg \"$@\"\n");
        File.SetUnixFileMode(ffmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 2,
            VideoWorkers = 1,
            Video = o.Video! with { FfmpegPath = ffmpeg },
        });
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var first = await SubmitAsync(submitter, "first.mp4", "video/mp4", clip);
        await WaitForStartsAsync(log, 1);
        var second = await SubmitAsync(submitter, "second.mp4", "video/mp4", clip);
        var image = await SubmitAsync(submitter, "flowers.png", "image/png", await File.ReadAllBytesAsync(TestPaths.PdqFile("photos/p04_flowers.png")));

        // Without lanes the free worker would take the older video and wait on ffmpeg too; with them it takes the image.
        var processed = await EndToEndTests.PollProcessedAsync(reviewer, image);
        Assert.Equal("hashed", processed["files"]![0]!["state"]!.GetValue<string>());
        Assert.Single(await File.ReadAllLinesAsync(log));
        Assert.Equal("received", await StatusAsync(reviewer, first));
        Assert.Equal("received", await StatusAsync(reviewer, second));

        // Let the videos go: both are hashed in their lane.
        await File.WriteAllTextAsync(go, "");
        foreach (var video in new[] { first, second })
        {
            var report = await EndToEndTests.PollProcessedAsync(reviewer, video);
            Assert.Equal("video", report["files"]![0]!["format"]!.GetValue<string>());
        }
    }

    private static async Task<string> StatusAsync(HttpClient reviewer, Guid id) =>
        (await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}")))["status"]!.GetValue<string>();

    /// <summary>Waits (at most 60 s) until the wrapper has been started <paramref name="count"/> times.</summary>
    private static async Task WaitForStartsAsync(string log, int count)
    {
        for (var i = 0; i < 600; i++)
        {
            if (File.Exists(log) && (await File.ReadAllLinesAsync(log)).Length >= count)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"ffmpeg was not started {count} time(s)");
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, string name, string contentType, byte[] bytes)
    {
        var report = new { externalId = name, files = new[] { new { part = "media", originalName = name } } };
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" },
            { content, "media", name },
        };
        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private byte[] MakeClip()
    {
        var output = Path.Combine(_folder, "clip.mp4");
        var info = new ProcessStartInfo("/usr/bin/ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=5", "-t", "3",
                     "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", output])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "ffmpeg could not make the clip: " + stderr);
        return File.ReadAllBytes(output);
    }
}
