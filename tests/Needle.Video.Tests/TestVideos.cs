using System.Diagnostics;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Needle.Video.Tests;

/// <summary>
/// Benign test videos made by ffmpeg from its lavfi sources once per test run: a 60 s mandelbrot zoom (the source)
/// and derived copies, plus unrelated clips. 320x240 at 10 fps so everything stays fast.
/// </summary>
public sealed class TestVideos : IDisposable
{
    public TestVideos()
    {
        Folder = Path.Combine(Path.GetTempPath(), "needle-video-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Folder);
        Source = Make("source.mp4", "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10", "-t", "60", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        Vp9 = Make("vp9.webm", "-i", Source, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k");
        Mpeg4 = Make("mpeg4.avi", "-i", Source, "-c:v", "mpeg4", "-q:v", "6");
        Resized = Make("resized.mp4", "-i", Source, "-vf", "scale=176:144", "-c:v", "libx264", "-preset", "ultrafast");
        Clip = Make("clip.mp4", "-ss", "20", "-i", Source, "-t", "10", "-c:v", "libx264", "-preset", "ultrafast");
        Bordered = Make("bordered.mp4", "-i", Source, "-vf", "pad=400:300:40:30:black", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        Mirrored = Make("mirrored.mp4", "-i", Source, "-vf", "hflip", "-c:v", "libx264", "-preset", "ultrafast");
        Unrelated = Make("unrelated.mp4", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "30", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
        // 30 fps with B-frames (x264 veryfast: 3 B-frames, pyramid), so 1 s sampling lands on B-frames too.
        BFrames = Make("bframes.mp4", "-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30", "-t", "20", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p");
        Bars = Make("bars.mkv", "-f", "lavfi", "-i", "smptebars=size=320x240:rate=10", "-f", "lavfi", "-i", "life=size=320x240:rate=10:mold=10", "-filter_complex", "[0][1]blend=all_mode=difference", "-t", "20", "-c:v", "mpeg4");
    }

    public string Folder { get; }

    public string Source { get; }

    public string Vp9 { get; }

    public string Mpeg4 { get; }

    public string Resized { get; }

    public string Clip { get; }

    public string Mirrored { get; }

    /// <summary>The source inside a black frame (40 px left and right, 30 px above and below).</summary>
    public string Bordered { get; }

    public string Unrelated { get; }

    public string Bars { get; }

    public string BFrames { get; }

    /// <summary>Every test video.</summary>
    public IReadOnlyList<string> All => [Source, Vp9, Mpeg4, Resized, Clip, Mirrored, Unrelated, Bars, BFrames];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Make(string name, params string[] arguments)
    {
        var output = Path.Combine(Folder, name);
        Run([.. arguments, output]);
        return output;
    }

    /// <summary>Runs ffmpeg with <paramref name="arguments"/> (the output path last); throws with its message on failure.</summary>
    public static void Run(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg could not make {arguments[^1]}: {stderr}");
        }
    }
}

/// <summary>Child processes of this test process, read from /proc.</summary>
internal static class ChildProcesses
{
    public static List<(int Pid, string Name)> List()
    {
        var self = Environment.ProcessId;
        var children = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == self)
                {
                    children.Add((pid, name + " state " + fields[0]));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process went away while we looked.
            }
        }

        return children;
    }

    public static List<(int Pid, string Name)> Ffmpeg() =>
        List().Where(c => c.Name.StartsWith("ffmpeg", StringComparison.Ordinal) || c.Name.StartsWith("ffprobe", StringComparison.Ordinal)).ToList();
}
