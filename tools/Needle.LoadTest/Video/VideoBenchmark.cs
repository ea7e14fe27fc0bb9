using System.Diagnostics;
using System.Globalization;
using Needle.Video;

namespace Needle.LoadTest.Video;

/// <summary>
/// Generates benign clips with ffmpeg (a test pattern blended with a Mandelbrot zoom, so every frame moves; an IDR key
/// frame every 2 s), and per clip, in turns so that every measurement sees the same machine load: ffmpeg's decoding
/// alone (<c>-f null</c>), the reference and the fast decode paths (their hashes compared frame by frame), and the
/// reference path with several ffmpeg processes decoding segments side by side (compared byte for byte).
/// </summary>
internal static class VideoBenchmark
{
    public static readonly string[] KnownCodecs = ["h264", "hevc", "vp9", "mpeg4"];

    public static IReadOnlyList<VideoBenchmarkRow> Run(VideoBenchmarkOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        var threads = options.DecoderThreads;
        var reference = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Reference, ComputeDigests = false, DecoderThreads = threads });
        var fast = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, ComputeDigests = false, DecoderThreads = threads });
        var skipB = new VideoHasher(new VideoHashOptions { DecodePath = VideoDecodePath.Fast, SkipBFrames = true, ComputeDigests = false, DecoderThreads = threads });
        VideoHasher[] hashers = [reference, fast, skipB];
        var parallel = options.Segments.Where(n => n > 1).Distinct().Order().ToArray();
        // Segments of a second or more, so that even short clips are cut where their key frames allow.
        var segmented = parallel.Select(n => new VideoHasher(new VideoHashOptions { ComputeDigests = false, MaxParallelSegments = n, MinSegmentSeconds = 1, DecoderThreads = threads })).ToArray();
        var rows = new List<VideoBenchmarkRow>();
        foreach (var height in options.Heights)
        {
            foreach (var codec in options.Codecs)
            {
                var clip = MakeClip(options, codec, height, log, cancellationToken);
                var duration = reference.Probe(clip, cancellationToken).Duration;
                var hashes = new VideoHash[hashers.Length];
                var segmentHashes = new VideoHash[segmented.Length];
                var best = Enumerable.Repeat(Measure.None, hashers.Length).ToArray();
                var segmentBest = Enumerable.Repeat(Measure.None, segmented.Length).ToArray();
                var decodeBest = Measure.None;
                for (var run = 0; run < options.Runs; run++)
                {
                    // Round robin so every path sees the same machine load.
                    decodeBest = decodeBest.Least(Measure.Of(() => DecodeOnly(clip, threads, cancellationToken)));
                    for (var h = 0; h < hashers.Length; h++)
                    {
                        best[h] = best[h].Least(Measure.Of(() => hashes[h] = hashers[h].Hash(clip, cancellationToken)));
                    }

                    for (var s = 0; s < segmented.Length; s++)
                    {
                        segmentBest[s] = segmentBest[s].Least(Measure.Of(() => segmentHashes[s] = segmented[s].Hash(clip, cancellationToken)));
                    }
                }

                VideoPathResult Against(int h)
                {
                    var (max, mean, within8) = Compare(hashes[0], hashes[h]);
                    var (q, k) = VideoIndex.CompareBrute(hashes[h].Frames, hashes[0].Frames);
                    return new VideoPathResult(duration / best[h].Wall.TotalSeconds, max, mean, within8, q, k);
                }

                var sequentialText = Text(hashes[0]);
                var segments = new List<VideoSegmentResult>();
                if (options.Segments.Contains(1))
                {
                    segments.Add(new VideoSegmentResult(1, duration / best[0].Wall.TotalSeconds, 1, true, best[0].Cpu.TotalSeconds));
                }

                segments.AddRange(parallel.Select((n, s) => new VideoSegmentResult(
                    n, duration / segmentBest[s].Wall.TotalSeconds, segmentHashes[s].Segments, Text(segmentHashes[s]) == sequentialText, segmentBest[s].Cpu.TotalSeconds)));
                var row = new VideoBenchmarkRow(
                    codec, height, duration, hashes[0].Frames.Count, duration / best[0].Wall.TotalSeconds, Against(1), Against(2),
                    duration / decodeBest.Wall.TotalSeconds, decodeBest.Cpu.TotalSeconds, best[0].Cpu.TotalSeconds, segments);
                log(FormattableString.Invariant($"{codec} {height}p: decode only {row.DecodeOnlySpeed:F1}x, reference {row.ReferenceSpeed:F1}x, fast {row.Fast.Speed:F1}x, skip-B {row.SkipB.Speed:F1}x real time"));
                rows.Add(row);
            }
        }

        return rows;
    }

    /// <summary>Wall and CPU time of one run (CPU zero where it cannot be read).</summary>
    private readonly record struct Measure(TimeSpan Wall, TimeSpan Cpu)
    {
        public static Measure None => new(TimeSpan.MaxValue, TimeSpan.MaxValue);

        public static Measure Of(Action action)
        {
            var cpu = ProcessorTime.Now();
            var started = Stopwatch.GetTimestamp();
            action();
            var wall = Stopwatch.GetElapsedTime(started);
            return new Measure(wall, ProcessorTime.Now() - cpu ?? TimeSpan.Zero);
        }

        /// <summary>The least wall time and the least CPU time of two runs (each the least disturbed by other work).</summary>
        public Measure Least(Measure other) => new(Wall < other.Wall ? Wall : other.Wall, Cpu < other.Cpu ? Cpu : other.Cpu);
    }

    private static string Text(VideoHash hash)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        VpdqFormat.Write(writer, hash.Frames);
        return writer.ToString();
    }

    /// <summary>ffmpeg decoding every frame of the clip's video stream and discarding it: the floor for any exact hashing.</summary>
    private static void DecodeOnly(string clip, int threads, CancellationToken cancellationToken) => RunFfmpeg(
        [
            "-hide_banner", "-nostdin", "-v", "error", "-noautorotate", .. (threads > 0 ? new[] { "-threads", threads.ToString(CultureInfo.InvariantCulture) } : []),
            "-protocol_whitelist", "file", "-i", "file:" + clip, "-map", "0:v:0", "-an", "-sn", "-dn", "-f", "null", "-",
        ],
        "decode " + clip,
        cancellationToken);

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
            "h264" => ("mp4", new[] { "-c:v", "libx264", "-preset", "veryfast", "-b:v", Bitrate(height, 6), "-g", "60", "-pix_fmt", "yuv420p" }),
            "hevc" => ("mp4", new[] { "-c:v", "libx265", "-preset", "veryfast", "-b:v", Bitrate(height, 4), "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-x265-params", "log-level=error:keyint=60:open-gop=0" }),
            "vp9" => ("webm", new[] { "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-b:v", Bitrate(height, 4), "-g", "60", "-pix_fmt", "yuv420p" }),
            "mpeg4" => ("avi", new[] { "-c:v", "mpeg4", "-q:v", "5", "-bf", "2", "-g", "60", "-pix_fmt", "yuv420p" }),
            _ => throw new InvalidOperationException($"unknown codec '{codec}' (known: {string.Join(", ", KnownCodecs)})"),
        };
        var path = Path.Combine(options.WorkDirectory, FormattableString.Invariant($"{codec}-{height}p-{options.DurationSeconds}s-gop2s.{extension}"));
        if (File.Exists(path))
        {
            return path;
        }

        log(FormattableString.Invariant($"generating {path} ({options.DurationSeconds} s, {width}x{height}, 30 fps, a key frame every 2 s)..."));
        var size = FormattableString.Invariant($"{width}x{height}");
        string[] arguments =
        [
            "-hide_banner", "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", $"testsrc2=size={size}:rate=30", "-f", "lavfi", "-i", $"mandelbrot=size={size}:rate=30",
            "-filter_complex", "[0][1]blend=all_mode=average", "-t", options.DurationSeconds.ToString(CultureInfo.InvariantCulture),
            .. encoder, path + ".part." + extension,
        ];
        RunFfmpeg(arguments, "make " + path, cancellationToken);
        File.Move(path + ".part." + extension, path);
        return path;
    }

    private static void RunFfmpeg(string[] arguments, string what, CancellationToken cancellationToken)
    {
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
            throw new InvalidOperationException($"ffmpeg could not {what}: {stderr}");
        }
    }

    private static string Bitrate(int height, int megabitsAt1080) =>
        FormattableString.Invariant($"{Math.Max(0.5, megabitsAt1080 * height / 1080.0):0.#}M");
}
