using System.CommandLine;
using System.Globalization;
using Needle.Video;

namespace Needle.LoadTest.Video;

/// <summary><c>video</c>: the reference and the fast video decode paths, speed and distance, per codec and height.</summary>
internal static class VideoCommand
{
    public static Command Create(LoadTestContext context)
    {
        var codecs = new Option<string[]>("--codec")
        {
            Description = "Codecs to measure (repeatable): h264, hevc, vp9, mpeg4.",
            DefaultValueFactory = _ => VideoBenchmark.KnownCodecs,
            AllowMultipleArgumentsPerToken = true,
        };
        var heights = new Option<int[]>("--height")
        {
            Description = "Frame heights to measure (repeatable; 16:9 width).",
            DefaultValueFactory = _ => [480, 720, 1080],
            AllowMultipleArgumentsPerToken = true,
        };
        var duration = new Option<int>("--duration") { Description = "Seconds of each generated clip.", DefaultValueFactory = _ => 60 };
        var runs = new Option<int>("--runs") { Description = "Runs per path and clip (the fastest counts).", DefaultValueFactory = _ => 2 };
        var decoderThreads = new Option<int>("--decoder-threads")
        {
            Description = "Decoding threads per ffmpeg process (0: ffmpeg decides). 1 shows how segments scale when one process cannot fill the cores.",
            DefaultValueFactory = _ => 0,
        };
        var segments = new Option<int[]>("--segments")
        {
            Description = "ffmpeg processes per video for segment-parallel hashing (repeatable; 1 is the reference path itself).",
            DefaultValueFactory = _ => [1, 2, 4],
            AllowMultipleArgumentsPerToken = true,
        };
        var work = new Option<DirectoryInfo>("--work-dir")
        {
            Description = "Where generated clips are kept and reused.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "needle-video-bench")),
        };
        var command = new Command("video",
            "Generate benign 30 fps clips per codec and height, hash each with the reference decode path and the fast one (1 frame/s), and print seconds of video hashed per second of wall time for both, their ratio, and how far the fast hashes are from the reference's; then ffmpeg's decode-only speed on the same clip, the reference path's share of it, and the speed-up of segment-parallel hashing with 1, 2 and 4 ffmpeg processes.")
        {
            codecs, heights, duration, runs, segments, decoderThreads, work,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var options = new VideoBenchmarkOptions
            {
                WorkDirectory = parse.GetValue(work)!.FullName,
                Codecs = parse.GetValue(codecs)!,
                Heights = parse.GetValue(heights)!,
                DurationSeconds = parse.GetValue(duration),
                Runs = parse.GetValue(runs),
                Segments = parse.GetValue(segments)!,
                DecoderThreads = parse.GetValue(decoderThreads),
            };
            if (options.DurationSeconds < 2 || options.Runs < 1 || options.Heights.Any(h => h is < 16 or > 4320) || options.Segments.Any(n => n is < 1 or > 64) || options.DecoderThreads is < 0 or > 64 ||
                options.Codecs.Any(c => !VideoBenchmark.KnownCodecs.Contains(c, StringComparer.Ordinal)))
            {
                context.Error.WriteLine($"error: --duration must be 2 or more, --runs 1 or more, --height 16..4320, --segments 1..64, --decoder-threads 0..64, --codec one of {string.Join(", ", VideoBenchmark.KnownCodecs)}");
                return Task.FromResult(ExitCodes.Usage);
            }

            IReadOnlyList<VideoBenchmarkRow> rows;
            try
            {
                rows = VideoBenchmark.Run(options, line => context.Error.WriteLine(line), cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or VideoHashException or IOException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return Task.FromResult(ExitCodes.RunFailed);
            }

            var o = context.Out;
            o.WriteLine(FormattableString.Invariant(
                $"Needle.LoadTest video: {options.DurationSeconds} s clips, 30 fps, 1 frame/s hashed, best of {options.Runs} runs per path, {Environment.ProcessorCount} cores{(options.DecoderThreads > 0 ? $", {options.DecoderThreads} decoding thread(s) per ffmpeg" : "")}"));
            o.WriteLine(FormattableString.Invariant(
                $"{"codec",-6} {"height",6} {"frames",6} {"reference",9} | {"fast",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11} | {"skip-B",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11}"));
            foreach (var r in rows)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Codec,-6} {r.Height,6} {r.Frames,6} {r.ReferenceSpeed,8:F1}x | {FormatPath(r.Fast, r.ReferenceSpeed)} | {FormatPath(r.SkipB, r.ReferenceSpeed)}"));
            }

            o.WriteLine("speed: seconds of video hashed per second of wall time (probe + decode + PDQ, no file digests); ratio: to the reference path in the same run;");
            o.WriteLine("max/mean/<=8: Hamming distance to the reference path's hash of each sampled frame; q%/k%: vPDQ match of the path's hash against the reference's (distance 31).");
            o.WriteLine();
            o.WriteLine(FormattableString.Invariant(
                $"{"codec",-6} {"height",6} {"decode",7} {"needle",7} {"share",5} {"cpu",5} | {string.Join(" | ", options.Segments.Select(n => $"{"P=" + n.ToString(CultureInfo.InvariantCulture),-4} {"speed",6} {"x",5} {"seg",3} {"cpu",5}"))} | identical"));
            foreach (var r in rows)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Codec,-6} {r.Height,6} {r.DecodeOnlySpeed,6:F1}x {r.ReferenceSpeed,6:F1}x {r.ReferenceSpeed / r.DecodeOnlySpeed,5:F2} {Ratio(r.DecodeOnlyCpuSeconds, r.ReferenceCpuSeconds),5:F2} | {string.Join(" | ", r.Segments.Select(g => FormatSegments(g, r.ReferenceSpeed, r.ReferenceCpuSeconds)))} | {(r.Segments.All(g => g.Identical) ? "yes" : "NO")}"));
            }

            o.WriteLine("decode: ffmpeg alone decoding the clip (-f null, same threads); needle: the reference path (probe + decode + RGB + PDQ); share: needle / decode in wall time (goal >= 0.90), cpu: the same in CPU time (what it costs, whatever else runs);");
            o.WriteLine(FormattableString.Invariant(
                $"P=n: at most n ffmpeg processes decoding segments cut at IDR key frames; x: wall-time speed-up over P=1; seg: segments used (1: sequential fallback); cpu: CPU time of P=1 / P=n (1.00: segments cost no extra work); identical: vPDQ text equal byte for byte. Ceiling: {Environment.ProcessorCount} cores, so about {Environment.ProcessorCount}x over one single-threaded ffmpeg (--decoder-threads 1), and nothing over one that already decodes on every core."));
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static string FormatSegments(VideoSegmentResult g, double referenceSpeed, double referenceCpu) => FormattableString.Invariant(
        $"{"",-4} {g.Speed,5:F1}x {g.Speed / referenceSpeed,4:F2}x {g.SegmentsUsed,3} {Ratio(referenceCpu, g.CpuSeconds),5:F2}");

    /// <summary>a / b, or 0 when CPU time could not be read.</summary>
    private static double Ratio(double a, double b) => a > 0 && b > 0 ? a / b : 0;

    private static string FormatPath(VideoPathResult p, double referenceSpeed) => FormattableString.Invariant(
        $"{p.Speed,5:F1}x {p.Speed / referenceSpeed,5:F2}x {p.MaxDistance,4} {p.MeanDistance,5:F1} {p.ShareWithin8,5:P0} {p.QueryPercent,5:F0}/{p.KnownPercent,-5:F0}");
}
