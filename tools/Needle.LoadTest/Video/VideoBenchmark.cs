using System.Diagnostics;
using System.Globalization;
using Needle.Video;

namespace Needle.LoadTest.Video;

/// <summary>
/// Generates benign clips with ffmpeg (a test pattern blended with a Mandelbrot zoom, so every frame moves), hashes
/// each with the reference and the fast decode path alternately, and compares the hashes frame by frame.
/// </summary>
internal static class VideoBenchmark
{
    public static readonly string[] KnownCodecs = ["h264", "hevc", "vp9", "mpeg4"];

    public static IReadOnlyList<VideoBenchmarkRow> Run(VideoBenchmarkOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        var reference = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Reference, ComputeDigests = false });
        var fast = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, ComputeDigests = false });
        var skipB = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, SkipBFrames = true, ComputeDigests = false });
        VideoHasher[] hashers = [reference, fast, skipB];
        var rows = new List<VideoBenchmarkRow>();
        foreach (var height in options.Heights)
        {
            foreach (var codec in options.Codecs)
            {
                var clip = MakeClip(options, codec, height, log, cancellationToken);
                var duration = reference.Probe(clip, cancellationToken).Duration;
                var hashes = new VideoHash[hashers.Length];
                var best = new[] { TimeSpan.MaxValue, TimeSpan.MaxValue, TimeSpan.MaxValue };
                for (var run = 0; run < options.Runs; run++)
                {
                    // Round robin so every path sees the same machine load.
                    for (var h = 0; h < hashers.Length; h++)
                    {
                        var started = Stopwatch.GetTimestamp();
                        hashes[h] = hashers[h].Hash(clip, cancellationToken);
                        var elapsed = Stopwatch.GetElapsedTime(started);
                        best[h] = elapsed < best[h] ? elapsed : best[h];
                    }
                }

                VideoPathResult Against(int h)
                {
                    var (max, mean, within8) = Compare(hashes[0], hashes[h]);
                    var (q, k) = VideoIndex.CompareBrute(hashes[h].Frames, hashes[0].Frames);
                    return new VideoPathResult(duration / best[h].TotalSeconds, max, mean, within8, q, k);
                }

                var row = new VideoBenchmarkRow(codec, height, duration, hashes[0].Frames.Count, duration / best[0].TotalSeconds, Against(1), Against(2));
                log(FormattableString.Invariant($"{codec} {height}p: reference {row.ReferenceSpeed:F1}x, fast {row.Fast.Speed:F1}x, skip-B {row.SkipB.Speed:F1}x real time"));
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>Frame-by-frame Hamming distance between the two paths' hashes (same sampling instants).</summary>
    internal static (int Max, double Mean, double ShareWithin8) Compare(VideoHash reference, VideoHash fast)
    {
        var count = Math.Min(reference.Frames.Count, fast.Frames.Count);
        if (count == 0 || reference.Frames.Count != fast.Frames.Count)
        {
            return (256, 256, 0);
        }

        int max = 0, within8 = 0;
        long sum = 0;
        for (var i = 0; i < count; i++)
        {
            var distance = reference.Frames[i].Hash.HammingDistance(fast.Frames[i].Hash);
            max = Math.Max(max, distance);
            sum += distance;
            within8 += distance <= 8 ? 1 : 0;
        }

        return (max, (double)sum / count, (double)within8 / count);
    }

    private static string MakeClip(VideoBenchmarkOptions options, string codec, int height, Action<string> log, CancellationToken cancellationToken)
    {
        var width = height * 16 / 9 / 2 * 2;
        var (extension, encoder) = codec switch
        {
            "h264" => ("mp4", new[] { "-c:v", "libx264", "-preset", "veryfast", "-b:v", Bitrate(height, 6), "-pix_fmt", "yuv420p" }),
            "hevc" => ("mp4", new[] { "-c:v", "libx265", "-preset", "veryfast", "-b:v", Bitrate(height, 4), "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error" }),
            "vp9" => ("webm", new[] { "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-b:v", Bitrate(height, 4), "-pix_fmt", "yuv420p" }),
            "mpeg4" => ("avi", new[] { "-c:v", "mpeg4", "-q:v", "5", "-bf", "2", "-pix_fmt", "yuv420p" }),
            _ => throw new InvalidOperationException($"unknown codec '{codec}' (known: {string.Join(", ", KnownCodecs)})"),
        };
        var path = Path.Combine(options.WorkDirectory, FormattableString.Invariant($"{codec}-{height}p-{options.DurationSeconds}s.{extension}"));
        if (File.Exists(path))
        {
            return path;
        }

        log(FormattableString.Invariant($"generating {path} ({options.DurationSeconds} s, {width}x{height}, 30 fps)..."));
        var size = FormattableString.Invariant($"{width}x{height}");
        string[] arguments =
        [
            "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size={size}:rate=30", "-f", "lavfi", "-i", $"mandelbrot=size={size}:rate=30",
            "-filter_complex", "[0][1]blend=all_mode=average", "-t", options.DurationSeconds.ToString(CultureInfo.InvariantCulture),
            .. encoder, path + ".part." + extension,
        ];
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start ffmpeg");
        using var registration = cancellationToken.Register(() => process.Kill(entireProcessTree: true));
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        cancellationToken.ThrowIfCancellationRequested();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg could not make {path}: {stderr}");
        }

        File.Move(path + ".part." + extension, path);
        return path;
    }

    private static string Bitrate(int height, int megabitsAt1080) =>
        FormattableString.Invariant($"{Math.Max(0.5, megabitsAt1080 * height / 1080.0):0.#}M");
}
