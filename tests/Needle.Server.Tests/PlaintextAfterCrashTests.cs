using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Needle.Server.Tests.Faults;

namespace Needle.Server.Tests;

/// <summary>
/// A node SIGKILLed while ffmpeg reads a decrypted upload cannot delete it; the next start removes it. The real
/// <c>needle serve</c> hashes a report's video through an ffmpeg that waits before it runs (a wrapper first on PATH), so
/// the plaintext copy is certainly on disk when the kill comes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PlaintextAfterCrashTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("needle-plaintext-").FullName;

    [Fact]
    public async Task Decrypted_media_left_by_a_killed_node_is_removed_when_a_node_starts()
    {
        var media = Path.Combine(_folder, "media");
        var bin = Path.Combine(_folder, "bin");
        Directory.CreateDirectory(bin);
        var ffmpeg = Path.Combine(bin, "ffmpeg");
        await File.WriteAllTextAsync(ffmpeg, "#!/bin/sh\nsleep 60\nexec /usr/bin/ffmpeg \"$@\"\n");
        File.SetUnixFileMode(ffmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var video = MakeVideo();
        var db = Path.Combine(_folder, "needle.db");
        var address = new Uri($"http://127.0.0.1:{NeedleProcess.FreePort()}");
        string[] arguments = ["serve", "--db", db, "--urls", address.ToString().TrimEnd('/'), "--workers", "1", "--media-temp", media];
        var environment = new Dictionary<string, string?>
        {
            ["NEEDLE_MEDIA_KEY"] = null,
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        };

        var first = await NeedleProcess.StartAsync(arguments, _folder, environment, address, TimeSpan.FromSeconds(30));
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
            var submitter = await KillAndRestartTests.CreateKeyAsync(http, address, first.AdminKey!, "submitter");
            using var form = new MultipartFormDataContent
            {
                { new StringContent("""{"files":[{"part":"v","originalName":"clip.mp4"}]}""", System.Text.Encoding.UTF8, "application/json"), "report" },
                { new ByteArrayContent(await File.ReadAllBytesAsync(video)), "v", "clip.mp4" },
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, "/api/v1/reports")) { Content = form };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", submitter);
            Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(request)).StatusCode);

            // The worker writes the decrypted video into its process folder, then waits on the slow ffmpeg.
            var deadline = Stopwatch.StartNew();
            while (PlaintextFiles(media).Count == 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(100);
            }

            var left = Assert.Single(PlaintextFiles(media));
            Assert.Equal(await File.ReadAllBytesAsync(video), await File.ReadAllBytesAsync(left));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(left));
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(left)!));
        }
        finally
        {
            first.Kill();
            first.Dispose();
        }

        // The killed process could not clean up: its plaintext is still there until a node starts.
        Assert.Single(PlaintextFiles(media));
        var second = await NeedleProcess.StartAsync(arguments, _folder, environment, address, TimeSpan.FromSeconds(30));
        try
        {
            // Only the new process's own folder may hold anything (it takes the job again and writes its own copy).
            var own = string.Create(CultureInfo.InvariantCulture, $"{Path.DirectorySeparatorChar}{second.ProcessId}-");
            Assert.DoesNotContain(PlaintextFiles(media), path => !path.Contains(own, StringComparison.Ordinal));
            Assert.Contains("removed the decrypted media left by 1 earlier Needle process", second.Errors, StringComparison.Ordinal);
        }
        finally
        {
            second.Kill();
            second.Dispose();
        }
    }

    public void Dispose()
    {
        // The wrapper's sleep outlives the killed node; it holds no file of ours.
        Directory.Delete(_folder, recursive: true);
    }

    private static List<string> PlaintextFiles(string media) =>
        Directory.Exists(media) ? [.. Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories)] : [];

    private string MakeVideo()
    {
        var output = Path.Combine(_folder, "clip.mp4");
        var info = new ProcessStartInfo("/usr/bin/ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=3", "-pix_fmt", "yuv420p", output])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "ffmpeg could not make the clip: " + stderr);
        return output;
    }
}
