using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Cli.Infrastructure;

/// <summary>One video as hashed by a command: the hash or the error.</summary>
internal sealed record HashedVideo(string Path, VideoHash? Hash, string? Error);

/// <summary>One scanned video: its hash, its vPDQ matches and exact (MD5/SHA) matches from ordinary lists.</summary>
internal sealed record ScannedVideo(HashedVideo Video, IReadOnlyList<(string List, VideoMatch Match)> Matches, IReadOnlyList<ListMatch> ExactMatches)
{
    public string Status => Video.Error is not null ? "error" : Matches.Count > 0 || ExactMatches.Count > 0 ? "match" : "no-match";

    /// <summary>The edit undone before the video matched (<c>unletterbox</c>); null when it matched as it was.</summary>
    public string? Variant { get; init; }
}

/// <summary>Video support shared by <c>hash</c> and <c>scan</c>: hashing in order, vPDQ list detection and output.</summary>
internal static class VideoCli
{
    /// <summary>
    /// Hashes videos within <paramref name="threads"/> (<c>--threads</c>) and hands results over in input order. One
    /// ffmpeg decodes on about two cores, so there is an ffmpeg per two threads: a video each while there are videos
    /// enough, and the rest as segments of long videos decoded side by side, so that one long video alone still uses
    /// every thread (on 2 cores one process already does; segments there would only add their overhead).
    /// </summary>
    public static void HashAll(IReadOnlyList<string> paths, VideoHashOptions options, int threads, CliContext context, Action<int, HashedVideo> consume, CancellationToken cancellationToken)
    {
        var processes = Math.Max(1, threads / 2);
        var workers = Math.Clamp(processes, 1, Math.Max(1, paths.Count));
        var hasher = new VideoHasher(options with { MaxParallelSegments = Math.Clamp(processes / workers, 1, 64) });
        OrderedParallel.Run(
            paths,
            workers,
            () => hasher,
            (h, path, token) =>
            {
                try
                {
                    return new HashedVideo(path, h.Hash(InputPaths.Resolve(path, context.WorkingDirectory), token), null);
                }
                catch (VideoHashException ex)
                {
                    return new HashedVideo(path, null, ex.Message);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return new HashedVideo(path, null, ex.Message);
                }
            },
            consume,
            cancellationToken);
    }

    /// <summary>Whether a list file holds vPDQ hashes: a <c>.vpdq</c>/<c>.vpdql</c> name, the bundle magic, or a first data line in vPDQ form.</summary>
    public static bool IsVpdqList(string path)
    {
        var extension = Path.GetExtension(path);
        if (extension.Equals(".vpdq", StringComparison.OrdinalIgnoreCase) || extension.Equals(".vpdql", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
            var buffer = new char[4096];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            foreach (var line in new string(buffer, 0, read).Split('\n').Take(20))
            {
                var text = line.Trim();
                if (text.StartsWith(VpdqFormat.BundleMagic, StringComparison.Ordinal) || text.StartsWith("#video ", StringComparison.Ordinal))
                {
                    return true;
                }

                if (text.Length == 0 || text[0] == '#')
                {
                    continue;
                }

                return VpdqFormat.TryParseLine(text, out _, out _);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        return false;
    }

    /// <summary>Writes one video's frames: csv <c>frame_number,quality,pdq,timestamp,path</c> (the vPDQ line plus the path) or one JSON object per frame.</summary>
    public static void WriteFrames(TextWriter output, HashedVideo video, bool jsonl, bool withDigests)
    {
        if (video.Hash is null)
        {
            if (jsonl)
            {
                output.Write(JsonSerializer.Serialize(new Dictionary<string, object?> { ["path"] = video.Path, ["algorithm"] = "vpdq", ["error"] = video.Error }));
                output.Write('\n');
            }

            return;
        }

        foreach (var frame in video.Hash.Frames)
        {
            if (!jsonl)
            {
                output.Write(VpdqFormat.FormatLine(frame));
                output.Write(',');
                output.Write(Csv(video.Path));
                output.Write('\n');
                continue;
            }

            var row = new Dictionary<string, object?>
            {
                ["path"] = video.Path,
                ["algorithm"] = "vpdq",
                ["frame"] = frame.FrameNumber,
                ["quality"] = frame.Quality,
                ["pdq"] = frame.Hash.ToString(),
                ["timestamp"] = Math.Round(frame.Timestamp, 3),
            };
            if (withDigests && video.Hash.Digests is { } digests)
            {
                row["md5"] = digests.Md5;
            }

            output.Write(JsonSerializer.Serialize(row));
            output.Write('\n');
        }
    }

    public const string ScanCsvHeader = "video_path,status,md5,list,video,label,rule,query_percent,known_percent,transform,query_ranges,known_ranges,error";

    /// <summary>One CSV row per match (or one row for a video without matches).</summary>
    public static void WriteScanCsv(TextWriter output, ScannedVideo video)
    {
        var md5 = video.Video.Hash?.Digests?.Md5 ?? "";
        var prefix = $"{Csv(video.Video.Path)},{video.Status},{md5}";
        if (video.Matches.Count == 0 && video.ExactMatches.Count == 0)
        {
            output.Write($"{prefix},,,,,,,,,,{Csv(video.Video.Error ?? "")}\n");
            return;
        }

        foreach (var (list, match) in video.Matches)
        {
            output.Write(string.Join(',',
                prefix,
                Csv(list),
                Csv(match.Video.Name),
                Csv(match.Video.Label ?? ""),
                Rule(match.Rule),
                match.QueryPercent.ToString("0.##", CultureInfo.InvariantCulture),
                match.KnownPercent.ToString("0.##", CultureInfo.InvariantCulture),
                Needle.Hashing.DihedralTransformNames.ToName(match.Transform),
                string.Join(';', match.Segments.Select(s => s.Query.ToString())),
                string.Join(';', match.Segments.Select(s => s.Known.ToString())),
                ""));
            output.Write('\n');
        }

        foreach (var exact in video.ExactMatches)
        {
            output.Write($"{prefix},{Csv(exact.ListName)},{Csv(exact.Entry.Value)},{Csv(exact.Entry.Label ?? "")},{exact.SignalType.Name},100,100,original,,,\n");
        }
    }

    /// <summary>One JSON object per video.</summary>
    public static void WriteScanJson(TextWriter output, ScannedVideo video)
    {
        var row = new Dictionary<string, object?>
        {
            ["path"] = video.Video.Path,
            ["kind"] = "video",
            ["status"] = video.Status,
            ["md5"] = video.Video.Hash?.Digests?.Md5,
            ["frames"] = video.Video.Hash?.Frames.Count,
            ["duration"] = video.Video.Hash?.Duration,
            ["transform"] = video.Variant,
            ["matches"] = video.Matches.Select(m => new Dictionary<string, object?>
            {
                ["list"] = m.List,
                ["video"] = m.Match.Video.Name,
                ["label"] = m.Match.Video.Label,
                ["rule"] = Rule(m.Match.Rule),
                ["query_percent"] = Math.Round(m.Match.QueryPercent, 2),
                ["known_percent"] = Math.Round(m.Match.KnownPercent, 2),
                ["transform"] = Needle.Hashing.DihedralTransformNames.ToName(m.Match.Transform),
                ["segments"] = m.Match.Segments.Select(s => new Dictionary<string, double[]>
                {
                    ["query"] = [Math.Round(s.Query.Start, 3), Math.Round(s.Query.End, 3)],
                    ["known"] = [Math.Round(s.Known.Start, 3), Math.Round(s.Known.End, 3)],
                }).ToList(),
            }).Concat(video.ExactMatches.Select(e => new Dictionary<string, object?>
            {
                ["list"] = e.ListName,
                ["value"] = e.Entry.Value,
                ["label"] = e.Entry.Label,
                ["rule"] = e.SignalType.Name,
            })).ToList(),
            ["error"] = video.Video.Error,
        };
        output.Write(JsonSerializer.Serialize(row));
        output.Write('\n');
    }

    private static string Rule(VideoMatchRule rule) => string.Join('+',
        new[] { (VideoMatchRule.Md5, "md5"), (VideoMatchRule.Known, "known"), (VideoMatchRule.Clip, "clip") }
            .Where(r => rule.HasFlag(r.Item1)).Select(r => r.Item2));

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\n\r") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
