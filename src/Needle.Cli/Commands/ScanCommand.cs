using System.CommandLine;
using System.Diagnostics;
using Needle.Application.Lists;
using Needle.Cli.Clues;
using Needle.Cli.Infrastructure;
using Needle.Cli.Output;
using Needle.Hashing;
using Needle.Matching.Clustering;
using Needle.Matching.Expansion;
using Needle.Matching.Lists;
using Needle.Robust;
using Needle.Video;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle scan</c>: hash every file and match it against hash lists (known lists and allow-lists of known false
/// positives), then group the scanned files into series of near-duplicates.
/// </summary>
internal static class ScanCommand
{
    public static Command Create(CliContext context)
    {
        var against = new Option<string[]>("--against")
        {
            Description = "A hash list to match against (any supported format: csv, text, vics, icse, ncmec, stopncii, needle; a compiled list .ndl from `needle list compile`, memory-mapped; or a vPDQ video hash file/bundle, .vpdq/.vpdql). Repeatable.",
            HelpName = "LIST",
        };
        var allow = new Option<string[]>("--allow")
        {
            Description = "An allow-list of known false positives: a file matching it is reported as 'allowed', not as a match. Repeatable.",
            HelpName = "LIST",
        };
        var listFormat = new Option<string?>("--list-format")
        {
            Description = "Force the format of every list instead of detecting it.",
            HelpName = "FORMAT",
        };
        var skipInvalid = new Option<bool>("--skip-invalid")
        {
            Description = "Use the valid records of a damaged list and warn about the rest, instead of refusing it.",
        };
        var threshold = new Option<int?>("--threshold")
        {
            Description = "PDQ Hamming distance threshold for every list (default: each list's own, 31 unless the list says otherwise).",
            HelpName = "N",
        };
        var minQuality = new Option<int>("--min-quality")
        {
            Description = "PDQ hashes of lower quality are not matched (exact hashes still are).",
            DefaultValueFactory = _ => PdqResult.MinimumUsefulQuality,
        };
        var noDihedral = new Option<bool>("--no-dihedral")
        {
            Description = "Match only the image as stored, not its rotations and flips.",
        };
        var noExpand = new Option<bool>("--no-expand")
        {
            Description = "Do not undo common edits (a mirror, a frame, a rotation of up to 10 degrees) on files that match no hash.",
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Report format: csv (one row per match), jsonl (one object per file) or html (one self-contained report).",
            DefaultValueFactory = _ => "csv",
        };
        format.AcceptOnlyFromAmong("csv", "jsonl", "html");
        var outFile = new Option<string?>("--out", "-o")
        {
            Description = "Write the report to FILE instead of stdout ('-' for stdout).",
            HelpName = "FILE",
        };
        var noClues = new Option<bool>("--no-clues") { Description = "Do not read metadata clues (GPS, capture time, camera, EXIF thumbnail)." };
        var videoKnownPct = new Option<double>("--video-known-percent")
        {
            Description = "Videos: share of a known video's frames that must be found in the scanned video (vPDQ README's P_c).",
            DefaultValueFactory = _ => 80,
            HelpName = "PCT",
        };
        var videoClipPct = new Option<double>("--video-clip-percent")
        {
            Description = "Videos: also a match when this share of the scanned video's frames is found in a known video (a clip of it; python-threatexchange's rule). Above 100 turns it off.",
            DefaultValueFactory = _ => 80,
            HelpName = "PCT",
        };
        var videoTimeout = new Option<double>("--video-timeout")
        {
            Description = "Videos: wall-clock seconds allowed per video before ffmpeg is killed.",
            DefaultValueFactory = _ => 900,
            HelpName = "S",
        };
        var decodeOptions = new DecodeOptionSet();
        var robustOptions = new RobustOptionSet(withMode: true);
        var inputOptions = new InputOptionSet("Files or folders to scan (folders are walked recursively).");

        var command = new Command("scan", "Hash files and match them against hash lists; report matches, unknown files and series of near-duplicates. Videos are matched by vPDQ with the matched time ranges.")
        {
            against, allow, listFormat, skipInvalid, threshold, minQuality, noDihedral, noExpand, format, outFile, noClues,
            videoKnownPct, videoClipPct, videoTimeout,
        };
        inputOptions.AddTo(command);
        decodeOptions.AddTo(command);
        robustOptions.AddTo(command);

        command.SetAction((parse, cancellationToken) =>
        {
            var stopwatch = Stopwatch.StartNew();
            var decode = decodeOptions.Read(parse, context.Error);
            var threadCount = inputOptions.Threads(parse);
            var pdqThreshold = parse.GetValue(threshold);
            if (decode is null || pdqThreshold is < 0 or > 256)
            {
                if (decode is not null)
                {
                    context.Error.WriteLine("error: --threshold must be between 0 and 256");
                }

                return Task.FromResult(ExitCodes.Usage);
            }

            var knownFiles = parse.GetValue(against) ?? [];
            var allowFiles = parse.GetValue(allow) ?? [];
            if (knownFiles.Length == 0)
            {
                context.Error.WriteLine("error: give at least one list with --against LIST");
                return Task.FromResult(ExitCodes.Usage);
            }

            var lists = new List<HashList>();
            var forcedFormat = parse.GetValue(listFormat);
            var videoIndex = new VideoIndex(parse.GetValue(minQuality));
            var videoListNames = new List<string>();
            foreach (var file in knownFiles)
            {
                var resolved = InputPaths.Resolve(file, context.WorkingDirectory);
                if (forcedFormat is not null || !File.Exists(resolved) || !VideoCli.IsVpdqList(resolved))
                {
                    continue;
                }

                try
                {
                    foreach (var video in VpdqFormat.ReadFile(resolved))
                    {
                        videoIndex.Add(video);
                        videoListNames.Add(Path.GetFileNameWithoutExtension(file));
                    }
                }
                catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
                {
                    context.Error.WriteLine($"error: {file}: {ex.Message}");
                    return Task.FromResult(ExitCodes.Usage);
                }
            }

            knownFiles = knownFiles.Where(f => forcedFormat is not null || !File.Exists(InputPaths.Resolve(f, context.WorkingDirectory)) || !VideoCli.IsVpdqList(InputPaths.Resolve(f, context.WorkingDirectory))).ToArray();
            using var compiled = new CompiledLists();
            foreach (var (file, kind) in knownFiles.Select(f => (f, HashListKind.Known)).Concat(allowFiles.Select(f => (f, HashListKind.Allow))))
            {
                // A compiled list is memory-mapped, not loaded: it opens at once whatever its size.
                var resolvedList = InputPaths.Resolve(file, context.WorkingDirectory);
                if (forcedFormat is null && CompiledLists.IsCompiled(resolvedList))
                {
                    if (!compiled.TryOpen(file, resolvedList, kind == HashListKind.Allow ? HashListKind.Allow : null, context))
                    {
                        return Task.FromResult(ExitCodes.Usage);
                    }

                    continue;
                }

                // A text list is compiled as it is read into one temporary compiled list: only its columns are held.
                if (!compiled.TryAddText(file, kind, forcedFormat, parse.GetValue(skipInvalid), context, lists))
                {
                    return Task.FromResult(ExitCodes.Usage);
                }
            }

            if (!compiled.TryFinishText(context))
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            if (inputOptions.Expand(parse, context) is not { } inputs)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            // The robust tier: its model is checked before any file is read, so a missing model stops the run at once; it
            // loads on the first file no hash matched (a scan whose every file matches never pays for it).
            var robustMode = robustOptions.Mode(parse);
            Lazy<RobustMatcher>? robustMatcher = null;
            Action<string> warn = context.Error.WriteLine;
            if (robustMode == "always" || (robustMode == "auto" && lists.Any(l => l.EntriesOf(SignalTypes.Robust).Count > 0)))
            {
                if (robustOptions.Load(parse, context) is not { } extractor)
                {
                    return Task.FromResult(ExitCodes.Usage);
                }

                // Its entries are decoded on first need too.
                robustMatcher = new Lazy<RobustMatcher>(
                    () => new RobustMatcher(lists, extractor, mismatch => warn($"warning: {mismatch.Message}")),
                    LazyThreadSafetyMode.ExecutionAndPublication);
            }

            var videos = inputs.Where(VideoFiles.IsVideo).ToList();
            inputs = inputs.Where(p => !VideoFiles.IsVideo(p)).ToList();
            var dihedral = !parse.GetValue(noDihedral);
            var hashOptions = new MediaHashOptions
            {
                Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5 | HashAlgorithms.Sha1 | HashAlgorithms.Sha256,
                Dihedral = dihedral,
                Decode = decode,
            };
            var decoder = new ImageDecoder(decode, context.Time);
            using var matcher = new ListMatcher(lists, compiled.Files, PdqIndexes.Create, new ListMatcherOptions
            {
                PdqThresholdOverride = pdqThreshold,
                MinimumPdqQuality = parse.GetValue(minQuality),
            });

            // With robust entries in every list (lists made by `needle list build`), the rotation sweep runs after the robust
            // tier, only for the files it did not find: a PDQ-only list, a compiled list or --robust off keeps the usual order.
            // When every listed picture has its robust entry and the tier holds them all, the sweep turns a smaller copy.
            var expand = !parse.GetValue(noExpand);
            var sweepLast = expand && robustMatcher is not null && compiled.Files.Count == 0 &&
                lists.All(l => l.EntriesOf(SignalTypes.Pdq).Count == 0 || l.EntriesOf(SignalTypes.Robust).Count > 0);
            Func<bool>? robustCoversAll = null;
            if (sweepLast && RobustCoverage.CoversEveryPicture(lists, out var robustEntries))
            {
                // Asked after the tier ran, so its entries are loaded by then.
                robustCoversAll = () => robustMatcher!.Value.Count == robustEntries;
            }

            Func<DecodedImage, CancellationToken, MatchResult>? robust = robustMatcher is null ? null : (image, token) => robustMatcher.Value.Match(image, token);
            var frameMinQuality = parse.GetValue(minQuality);
            var results = new ScannedFile[inputs.Count];
            var progress = new ProgressReporter(context, !!inputOptions.ShowProgress(parse));
            warn = progress.WriteError;
            var withClues = !parse.GetValue(noClues);
            var geocoder = withClues ? new SharedGeocoder(progress.WriteError) : null;
            try
            {
                progress.Run("Scanning", inputs.Count, () =>
                    OrderedParallel.Run(
                        inputs,
                        threadCount,
                        () => (Hasher: new CluedFileHasher(new MediaFileHasher(hashOptions, decoder), decoder, geocoder),
                            Second: sweepLast
                                ? new SecondLook(decoder, new PdqQueryExpander(matcher, new PdqQueryExpansionOptions { Mirror = dihedral, MaxRotationDegrees = 0 }), robust, robustMode == "always", new PdqQueryExpander(matcher, new PdqQueryExpansionOptions { Mirror = false, Unletterbox = false }),
                                    robustCoversAll is null ? null : new PdqQueryExpander(matcher, new PdqQueryExpansionOptions { Mirror = false, Unletterbox = false, RotationWorkingSize = SecondLook.CoveredSweepSize }),
                                    robustCoversAll)
                                : new SecondLook(decoder, expand ? new PdqQueryExpander(matcher, new PdqQueryExpansionOptions { Mirror = dihedral }) : null, robust, robustMode == "always")),
                        (state, path, token) =>
                        {
                            var fullPath = InputPaths.Resolve(path, context.WorkingDirectory);
                            var hasher = state.Hasher;
                            var (hashed, clues) = withClues ? hasher.Hash(fullPath, path, token) : (hasher.Hasher.Hash(fullPath, path, token), null);
                            var match = hashed.Succeeded || hashed.Md5 is not null ? matcher.Match(ToSignals(hashed)) : null;

                            // An animation's every frame is matched, as the server does (each match names its frame).
                            if (match is not null && hashed.Animation is { } animation)
                            {
                                match = AnimationMatches.MatchFrames(matcher.Match, animation, frameMinQuality, match);
                            }

                            if (hashed.Succeeded && match is { Status: not MatchStatus.Allowed } hashMatch)
                            {
                                var hashMatched = hashMatch.Status == MatchStatus.Match;
                                if (state.Second.Match(fullPath, hashMatched, token) is { } second)
                                {
                                    match = hashMatched ? MatchResult.FromMatches([.. hashMatch.Matches, .. second.Matches, .. second.AllowedBy]) : second;
                                }
                            }

                            return new ScannedFile(hashed, match) { Clues = clues };
                        },
                        (index, file) =>
                        {
                            if (!file.Hashes.Succeeded)
                            {
                                progress.WriteError($"error: {file.Hashes.Path}: {file.Hashes.Error}");
                            }

                            results[index] = file;
                            progress.Advance();
                        },
                        cancellationToken));
            }
            catch (Exception ex) when (CompiledLists.RefusalIn(ex) is { } refusal)
            {
                // A compiled list's sections are verified when first used: a damaged one stops the scan here.
                context.Error.WriteLine($"error: {refusal.FilePath}: section '{refusal.Section}': {CompiledLists.ProblemOf(refusal)}");
                return Task.FromResult(ExitCodes.Usage);
            }
            catch (Exception ex) when (RobustOptionSet.FailureIn(ex) is { } failure)
            {
                // A model file that passed the start-up check but that ONNX Runtime cannot load fails on first need.
                context.Error.WriteLine($"error: robust tier: {failure.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            var videoOptions = new VideoHashOptions { Dihedral = dihedral, Timeout = TimeSpan.FromSeconds(Math.Max(0.001, parse.GetValue(videoTimeout))) };
            var matchOptions = new VpdqMatchOptions
            {
                MaxDistance = pdqThreshold ?? (int)SignalTypes.Pdq.DefaultThreshold,
                MinQuality = parse.GetValue(minQuality),
                MinKnownPercent = parse.GetValue(videoKnownPct),
                ClipQueryPercent = parse.GetValue(videoClipPct) > 100 ? null : parse.GetValue(videoClipPct),
                Dihedral = dihedral,
            };
            var scannedVideos = new ScannedVideo[videos.Count];
            if (videos.Count > 0)
            {
                progress.Run("Scanning videos", videos.Count, () =>
                    VideoCli.HashAll(videos, videoOptions, threadCount, context, (index, video) =>
                    {
                        if (video.Error is not null)
                        {
                            progress.WriteError($"error: {video.Path}: {video.Error}");
                            scannedVideos[index] = new ScannedVideo(video, [], []);
                        }
                        else
                        {
                            var found = videoIndex.Match(video.Hash!, matchOptions).Select(m => (videoListNames[m.VideoId], m)).ToList();
                            var digests = video.Hash!.Digests!;
                            var exact = matcher.Match(new FileSignals { Md5 = digests.Md5, Sha1 = digests.Sha1, Sha256 = digests.Sha256 });
                            scannedVideos[index] = new ScannedVideo(video, found, exact.Status == MatchStatus.Match ? exact.Matches : []);
                        }

                        progress.Advance();
                    }, cancellationToken));
            }

            // A second look at the videos that matched nothing: their frames' borders removed (a letterboxed or
            // framed copy of a known video).
            var unmatchedVideos = Enumerable.Range(0, scannedVideos.Length).Where(i => expand && scannedVideos[i].Status == "no-match").ToList();
            if (unmatchedVideos.Count > 0 && videoIndex.Count > 0)
            {
                progress.Run("Unletterboxing videos", unmatchedVideos.Count, () =>
                    VideoCli.HashAll([.. unmatchedVideos.Select(i => videos[i])], videoOptions with { Unletterbox = true }, threadCount, context, (index, video) =>
                    {
                        if (video.Error is null && videoIndex.Match(video.Hash!, matchOptions) is { Count: > 0 } found)
                        {
                            var original = scannedVideos[unmatchedVideos[index]];
                            scannedVideos[unmatchedVideos[index]] = original with
                            {
                                Matches = [.. found.Select(m => (videoListNames[m.VideoId], m))],
                                Variant = PdqQueryExpander.UnletterboxVariant,
                            };
                        }

                        progress.Advance();
                    }, cancellationToken));
            }

            var series = FindSeries(results, pdqThreshold ?? (int)SignalTypes.Pdq.DefaultThreshold, parse.GetValue(minQuality));
            var summary = ScanSummary.From(results, series, lists, stopwatch.Elapsed, compiled.EntryCount);
            var outPath = parse.GetValue(outFile);
            using (var output = outPath is null or "-" ? null : new StreamWriter(InputPaths.Resolve(outPath, context.WorkingDirectory)))
            {
                var writer = output ?? context.Out;
                switch (parse.GetValue(format))
                {
                    case "jsonl":
                        ScanReportWriters.WriteJsonLines(writer, results, series);
                        foreach (var video in scannedVideos)
                        {
                            VideoCli.WriteScanJson(writer, video);
                        }

                        break;
                    case "html":
                        ScanReportWriters.WriteHtml(writer, results, series, summary);
                        if (videos.Count > 0)
                        {
                            context.Error.WriteLine("warning: the HTML report does not show videos yet; use --format csv or jsonl for them");
                        }

                        break;
                    default:
                        if (results.Length > 0)
                        {
                            ScanReportWriters.WriteCsv(writer, results, series);
                        }

                        if (videos.Count > 0)
                        {
                            writer.Write(VideoCli.ScanCsvHeader + "\n");
                            foreach (var video in scannedVideos)
                            {
                                VideoCli.WriteScanCsv(writer, video);
                            }
                        }

                        break;
                }
            }

            context.Error.WriteLine(summary.ToText());
            var videoErrors = scannedVideos.Count(v => v.Status == "error");
            if (videos.Count > 0)
            {
                context.Error.WriteLine($"videos: {videos.Count} scanned, {scannedVideos.Count(v => v.Status == "match")} matched, {videoErrors} errors ({videoIndex.Count} known videos)");
            }

            return Task.FromResult(summary.Errors > 0 || videoErrors > 0 ? ExitCodes.SomeFilesFailed : ExitCodes.Success);
        });
        return command;
    }

    private static FileSignals ToSignals(MediaHashResult hashed) => new()
    {
        Pdq = hashed.Pdq?.Hash,
        PdqQuality = hashed.Pdq?.Quality,
        PdqDihedral = hashed.Dihedral is { } dihedral ? dihedral.Hashes.ToArray() : null,
        Md5 = hashed.Md5,
        Sha1 = hashed.Sha1,
        Sha256 = hashed.Sha256,
    };

    /// <summary>Clusters of near-duplicate scanned files (by PDQ, usable quality only); singletons are not series.</summary>
    private static SeriesAssignment FindSeries(ScannedFile[] files, int threshold, int minQuality)
    {
        var hashes = new List<PdqHash>();
        var owners = new List<int>();
        for (var i = 0; i < files.Length; i++)
        {
            if (files[i].Hashes.Pdq is { } pdq && pdq.Quality >= minQuality)
            {
                hashes.Add(pdq.Hash);
                owners.Add(i);
            }
        }

        var clustering = new PdqClusterer(PdqIndexes.Create).Cluster(hashes, threshold);
        return SeriesAssignment.From(files.Length, owners, clustering);
    }
}

/// <summary>One scanned file: its hashes and what it matched (null when it could not be read at all).</summary>
internal sealed record ScannedFile(MediaHashResult Hashes, MatchResult? Match)
{
    /// <summary>Metadata clues (null with --no-clues or when the file could not be read).</summary>
    public FileClues? Clues { get; init; }

    public string Status => !Hashes.Succeeded && (Match is null || Match.Status == MatchStatus.NoMatch)
        ? "error"
        : Match?.Status switch
        {
            MatchStatus.Match => "match",
            MatchStatus.Allowed => "allowed",
            _ => "no-match",
        };
}
