using System.CommandLine;
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
        var work = new Option<DirectoryInfo>("--work-dir")
        {
            Description = "Where generated clips are kept and reused.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "needle-video-bench")),
        };
        var command = new Command("video",
            "Generate benign 30 fps clips per codec and height, hash each with the reference decode path and the fast one (1 frame/s), and print seconds of video hashed per second of wall time for both, their ratio, and how far the fast hashes are from the reference's.")
        {
            codecs, heights, duration, runs, work,
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
            };
            if (options.DurationSeconds < 2 || options.Runs < 1 || options.Heights.Any(h => h is < 16 or > 4320) ||
                options.Codecs.Any(c => !VideoBenchmark.KnownCodecs.Contains(c, StringComparer.Ordinal)))
            {
                context.Error.WriteLine($"error: --duration must be 2 or more, --runs 1 or more, --height 16..4320, --codec one of {string.Join(", ", VideoBenchmark.KnownCodecs)}");
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
                $"Needle.LoadTest video: {options.DurationSeconds} s clips, 30 fps, 1 frame/s hashed, best of {options.Runs} runs per path, {Environment.ProcessorCount} cores"));
            o.WriteLine(FormattableString.Invariant(
                $"{"codec",-6} {"height",6} {"frames",6} {"reference",9} | {"fast",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11} | {"skip-B",6} {"ratio",6} {"max",4} {"mean",5} {"<=8",5} {"q%/k%",11}"));
            foreach (var r in rows)
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{r.Codec,-6} {r.Height,6} {r.Frames,6} {r.ReferenceSpeed,8:F1}x | {FormatPath(r.Fast, r.ReferenceSpeed)} | {FormatPath(r.SkipB, r.ReferenceSpeed)}"));
            }

            o.WriteLine("speed: seconds of video hashed per second of wall time (probe + decode + PDQ, no file digests); ratio: to the reference path in the same run;");
            o.WriteLine("max/mean/<=8: Hamming distance to the reference path's hash of each sampled frame; q%/k%: vPDQ match of the path's hash against the reference's (distance 31).");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static string FormatPath(VideoPathResult p, double referenceSpeed) => FormattableString.Invariant(
        $"{p.Speed,5:F1}x {p.Speed / referenceSpeed,5:F2}x {p.MaxDistance,4} {p.MeanDistance,5:F1} {p.ShareWithin8,5:P0} {p.QueryPercent,5:F0}/{p.KnownPercent,-5:F0}");
}
