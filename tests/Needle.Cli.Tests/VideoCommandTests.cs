using System.Diagnostics;
using System.Text.Json;

namespace Needle.Cli.Tests;

/// <summary><c>needle hash</c> and <c>needle scan</c> on videos made by ffmpeg in the test (benign lavfi patterns).</summary>
public sealed class VideoCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public VideoCommandTests()
    {
        Directory.CreateDirectory(_folder.File("known"));
        Directory.CreateDirectory(_folder.File("incoming"));
        Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=10", "-t", "30", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", _folder.File("known/source.mp4"));
        Ffmpeg("-ss", "10", "-i", _folder.File("known/source.mp4"), "-t", "10", "-c:v", "mpeg4", "-q:v", "5", _folder.File("incoming/clip.avi"));
        Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", _folder.File("incoming/other.mkv"));
        File.WriteAllBytes(_folder.File("incoming/broken.mp4"), [0, 0, 0, 24, (byte)'f', (byte)'t', (byte)'y', (byte)'p', 1, 2, 3]);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Hash_prints_one_vpdq_line_per_frame_with_the_path_and_takes_videos_from_folders()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "hash", "known", "--no-progress", "--vpdq-dir", "out");
        Assert.Equal(0, result.ExitCode);
        var lines = result.OutLines;
        Assert.InRange(lines.Length, 29, 30);
        Assert.Matches("^0,[0-9]+,[0-9a-f]{64},0.000,known/source.mp4$", lines[0]);
        Assert.Matches("^10,[0-9]+,[0-9a-f]{64},1.000,known/source.mp4$", lines[1]);
        var reference = File.ReadAllLines(_folder.File("out/source.mp4.vpdq"));
        Assert.Equal(lines.Select(l => l[..l.LastIndexOf(',')]), reference);
    }

    [Fact]
    public async Task Hash_writes_every_sampled_frame_dark_ones_too_and_scan_still_matches_without_them()
    {
        // Fades in from black: the first sampled frames have quality under 50, which the reference writes too.
        Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=10", "-t", "20", "-vf", "fade=t=in:st=0:d=4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", _folder.File("faded.mp4"));
        var result = await CliRunner.RunAsync(_folder.Path, "hash", "faded.mp4", "--vpdq-list", "faded.vpdql");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(20, result.OutLines.Length);
        Assert.StartsWith("0,0,", result.OutLines[0], StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i * 10), result.OutLines.Select(l => int.Parse(l[..l.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("\n0,0,", File.ReadAllText(_folder.File("faded.vpdql")), StringComparison.Ordinal);

        // Matching leaves them out (--min-quality, default 50): the video matches itself fully.
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "faded.vpdql", "faded.mp4", "-f", "jsonl", "--no-progress");
        Assert.Equal(0, scan.ExitCode);
        var match = JsonDocument.Parse(scan.OutLines.Single()).RootElement.GetProperty("matches")[0];
        Assert.Equal(100, match.GetProperty("query_percent").GetDouble());
        Assert.Equal(100, match.GetProperty("known_percent").GetDouble());
    }

    [Fact]
    public async Task Hash_decodes_a_long_video_in_segments_within_threads_and_prints_the_same_lines()
    {
        // 50 s with an IDR frame every 2 s: two segments of at least 20 s each.
        Ffmpeg("-f", "lavfi", "-i", "mandelbrot=size=160x120:rate=30", "-t", "50", "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p", _folder.File("long.mp4"));

        // An ffmpeg first in PATH that logs its arguments, then runs the real one.
        var bin = Directory.CreateDirectory(_folder.File("bin")).FullName;
        var log = _folder.File("ffmpeg.log");
        var real = Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(d => Path.Combine(d, "ffmpeg")).First(File.Exists);
        File.WriteAllText(Path.Combine(bin, "ffmpeg"), $"#!/bin/sh\necho \"$*\" >> '{log}'\nexec '{real}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(bin, "ffmpeg"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var environment = new Dictionary<string, string> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") };

        var one = await CliRunner.RunProcessAsync(_folder.Path, "", environment, "hash", "long.mp4", "--threads", "1", "--no-progress");
        Assert.Equal(0, one.ExitCode);
        Assert.Single(File.ReadAllLines(log));
        File.Delete(log);

        var four = await CliRunner.RunProcessAsync(_folder.Path, "", environment, "hash", "long.mp4", "--threads", "4", "--no-progress");
        Assert.Equal(0, four.ExitCode);
        Assert.Equal(50, four.OutLines.Length);
        Assert.Equal(one.Out, four.Out);
        var runs = File.ReadAllLines(log);
        Assert.Equal(2, runs.Length);
        Assert.Single(runs, r => r.Contains(" -ss ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hash_jsonl_has_one_object_per_frame()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "hash", "-f", "jsonl", "-a", "vpdq", "-a", "md5", "incoming/clip.avi");
        Assert.Equal(0, result.ExitCode);
        using var first = JsonDocument.Parse(result.OutLines[0]);
        Assert.Equal("vpdq", first.RootElement.GetProperty("algorithm").GetString());
        Assert.Equal(32, first.RootElement.GetProperty("md5").GetString()!.Length);
        Assert.Equal(0, first.RootElement.GetProperty("frame").GetInt32());
    }

    [Fact]
    public async Task Scan_matches_a_clip_against_a_vpdq_list_with_time_ranges_and_reports_broken_videos()
    {
        var hashed = await CliRunner.RunAsync(_folder.Path, "hash", "known", "--no-progress", "--vpdq-list", "known.vpdql");
        Assert.Equal(0, hashed.ExitCode);
        Assert.StartsWith("#vpdq-list 1\n#video name=known%2Fsource.mp4 md5=", File.ReadAllText(_folder.File("known.vpdql")), StringComparison.Ordinal);

        var result = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.vpdql", "incoming", "-f", "jsonl", "--no-progress");
        Assert.Equal(1, result.ExitCode); // the broken video
        var rows = result.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("path").GetString()!);
        Assert.Equal("error", rows["incoming/broken.mp4"].GetProperty("status").GetString());
        Assert.Contains("not a readable video", rows["incoming/broken.mp4"].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("no-match", rows["incoming/other.mkv"].GetProperty("status").GetString());
        var clip = rows["incoming/clip.avi"];
        Assert.Equal("match", clip.GetProperty("status").GetString());
        var match = clip.GetProperty("matches")[0];
        Assert.Equal("known/source.mp4", match.GetProperty("video").GetString());
        Assert.Equal("clip", match.GetProperty("rule").GetString());
        var segment = match.GetProperty("segments")[0];
        Assert.InRange(segment.GetProperty("query")[0].GetDouble(), -1, 1);
        Assert.InRange(segment.GetProperty("query")[1].GetDouble(), 9, 11);
        Assert.InRange(segment.GetProperty("known")[0].GetDouble(), 9, 11);
        Assert.InRange(segment.GetProperty("known")[1].GetDouble(), 19, 21);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("videos: 3 scanned, 1 matched, 1 errors", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scan_matches_identical_videos_by_md5_from_an_ordinary_list()
    {
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(_folder.File("incoming/other.mkv"))));
        File.WriteAllText(_folder.File("md5.jsonl"),
            "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"md5s\",\"kind\":\"known\"}\n" +
            $"{{\"id\":1,\"signalType\":\"md5\",\"value\":\"{md5}\",\"label\":\"known other\"}}\n");
        var result = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "md5.jsonl", "incoming/other.mkv", "--no-progress");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("video_path,status,md5,list,video,label,rule,query_percent,known_percent,transform,query_ranges,known_ranges,error", result.OutLines[0]);
        Assert.StartsWith($"incoming/other.mkv,match,{md5},md5,{md5},known other,md5,", result.OutLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_finds_a_letterboxed_copy_of_a_known_video_and_names_the_unletterbox()
    {
        var hashed = await CliRunner.RunAsync(_folder.Path, "hash", "known", "--no-progress", "--vpdq-list", "known.vpdql");
        Assert.Equal(0, hashed.ExitCode);
        Directory.CreateDirectory(_folder.File("boxed"));
        Ffmpeg("-i", _folder.File("known/source.mp4"), "-vf", "pad=200:160:20:20:black", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", _folder.File("boxed/letterboxed.mp4"));
        File.Copy(_folder.File("incoming/other.mkv"), _folder.File("boxed/other.mkv"));

        var result = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.vpdql", "boxed", "-f", "jsonl", "--no-progress");
        Assert.True(result.ExitCode == 0, result.Error);
        var rows = result.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("path").GetString()!);
        var boxed = rows["boxed/letterboxed.mp4"];
        Assert.Equal("match", boxed.GetProperty("status").GetString());
        Assert.Equal("unletterbox", boxed.GetProperty("transform").GetString());
        Assert.Equal("known/source.mp4", boxed.GetProperty("matches")[0].GetProperty("video").GetString());
        Assert.Equal("no-match", rows["boxed/other.mkv"].GetProperty("status").GetString());

        var plain = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.vpdql", "boxed/letterboxed.mp4", "-f", "jsonl", "--no-progress", "--no-expand");
        Assert.Equal("no-match", JsonDocument.Parse(plain.OutLines.Single()).RootElement.GetProperty("status").GetString());
    }

    private static void Ffmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
    }
}
