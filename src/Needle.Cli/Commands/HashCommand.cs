using System.CommandLine;
using Needle.Cli.Clues;
using Needle.Cli.Infrastructure;
using Needle.Cli.Output;
using Needle.Hashing;
using Needle.Video;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle hash</c>: PDQ (and MD5/SHA-1/SHA-256) of image files, printed as Meta's reference tool prints them.
/// </summary>
internal static class HashCommand
{
    public static Command Create(CliContext context)
    {
        var algorithm = new Option<string[]>("--algorithm", "-a")
        {
            Description = "Hash to compute: pdq, md5, sha1, sha256, vpdq. Repeatable; columns follow this order. Default: pdq for images, vpdq for videos (by extension). Giving -a without vpdq hashes videos as plain files.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        algorithm.AcceptOnlyFromAmong("pdq", "md5", "sha1", "sha256", "vpdq");
        var dihedral = new Option<bool>("--dihedral")
        {
            Description = "Print the 8 dihedral PDQ hashes (original, rot90, rot180, rot270, flipx, flipy, flipplus1, flipminus1), then quality, then path: the reference's --pdqdih-across.",
        };
        var format = new Option<string>("--format", "-f")
        {
            Description = "Output format: csv (the reference's 'hash,quality,path') or jsonl.",
            DefaultValueFactory = _ => "csv",
        };
        format.AcceptOnlyFromAmong("csv", "jsonl");
        var header = new Option<bool>("--header") { Description = "Print a header line before CSV output." };
        var metadata = new Option<bool>("--metadata")
        {
            Description = "Add each file's metadata clues (GPS with country and region, capture time, camera and serials, names, EXIF thumbnail compared by PDQ) as a 'metadata' object. jsonl only.",
        };
        var secondsPerHash = new Option<double>("--seconds-per-hash")
        {
            Description = "Videos: seconds between hashed frames (vPDQ default 1; 0 hashes every frame).",
            DefaultValueFactory = _ => 1.0,
            HelpName = "S",
        };
        var videoTimeout = new Option<double>("--video-timeout")
        {
            Description = "Videos: wall-clock seconds allowed per video before ffmpeg is killed.",
            DefaultValueFactory = _ => 900,
            HelpName = "S",
        };
        var vpdqDir = new Option<string?>("--vpdq-dir")
        {
            Description = "Videos: also write each video's hash in Meta's vPDQ text format to DIR/NAME.vpdq (frame,quality,hash,timestamp).",
            HelpName = "DIR",
        };
        var videoFast = new Option<bool>("--video-fast")
        {
            Description = "Videos: skip H.264/HEVC deblocking while decoding (faster; hashes move by a few bits).",
        };
        var videoLuma = new Option<bool>("--video-luma")
        {
            Description = "Videos: read luma from the decoder's Y plane instead of converting frames to RGB (within a few bits of the reference; measured no faster).",
        };
        var videoSkipB = new Option<bool>("--video-skip-b-frames")
        {
            Description = "Videos: do not decode B-frames (about 1.6x faster on H.264; a sampled B-frame is replaced by the next decoded frame, tens of bits away on fast motion).",
        };
        var videoKeyFrames = new Option<bool>("--video-keyframes")
        {
            Description = "Videos: decode key frames only (much faster; each sampled instant gets the latest key frame, so hashes are not the reference's).",
        };
        var vpdqList = new Option<string?>("--vpdq-list")
        {
            Description = "Videos: also write all video hashes to FILE as one vPDQ bundle (name, MD5, frames) for 'needle scan --against FILE'.",
            HelpName = "FILE",
        };
        var decodeOptions = new DecodeOptionSet();
        var inputOptions = new InputOptionSet("Image or video files, or folders (walked recursively).");
        var labelOptions = new LabelOptionSet();

        var command = new Command("hash", "Compute PDQ perceptual hashes (and MD5/SHA-1/SHA-256) of images, vPDQ of videos.")
        {
            algorithm, dihedral, format, header, metadata, secondsPerHash, videoTimeout, vpdqDir, vpdqList, videoFast, videoKeyFrames, videoLuma, videoSkipB,
        };
        inputOptions.AddTo(command);
        decodeOptions.AddTo(command);
        labelOptions.AddTo(command);

        command.SetAction((parse, cancellationToken) =>
        {
            var threadCount = inputOptions.Threads(parse);

            var withMetadata = parse.GetValue(metadata);
            if (withMetadata && parse.GetValue(format) != "jsonl")
            {
                context.Error.WriteLine("error: --metadata needs --format jsonl (the metadata is a nested object that CSV cannot hold)");
                return Task.FromResult(ExitCodes.Usage);
            }

            var algorithmNames = parse.GetValue(algorithm) ?? [];
            var videoMode = algorithmNames.Length == 0 || algorithmNames.Contains("vpdq");
            var imageAlgorithms = algorithmNames.Where(a => a != "vpdq").ToArray();
            if (algorithmNames.Length > 0 && imageAlgorithms.Length == 0)
            {
                imageAlgorithms = ["pdq"];
            }

            var columns = HashColumns.FromNames(imageAlgorithms, parse.GetValue(dihedral));
            var decode = decodeOptions.Read(parse, context.Error);
            if (decode is null)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var folders = new List<string?>();
            if (inputOptions.Expand(parse, context, folders) is not { } inputs)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var labelOf = inputs.Zip(labelOptions.Labels(parse, inputs, folders, context.WorkingDirectory))
                .GroupBy(static p => p.First, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.First().Second, StringComparer.Ordinal);

            var videos = videoMode ? inputs.Where(VideoFiles.IsVideo).ToList() : [];
            if (videos.Count > 0)
            {
                inputs = inputs.Where(p => !VideoFiles.IsVideo(p)).ToList();
            }

            VideoHashOptions videoOptions;
            try
            {
                videoOptions = new VideoHashOptions
                {
                    SecondsPerHash = parse.GetValue(secondsPerHash),
                    Timeout = TimeSpan.FromSeconds(parse.GetValue(videoTimeout)),
                    FastDecode = parse.GetValue(videoFast),
                    KeyFramesOnly = parse.GetValue(videoKeyFrames),
                    DecodePath = parse.GetValue(videoLuma) || parse.GetValue(videoSkipB) ? VideoDecodePath.Fast : VideoDecodePath.Reference,
                    SkipBFrames = parse.GetValue(videoSkipB),
                    ComputeDigests = algorithmNames.Any(a => a is "md5" or "sha1" or "sha256") || parse.GetValue(vpdqList) is not null,
                };
                _ = new VideoHasher(videoOptions);
            }
            catch (ArgumentException ex)
            {
                context.Error.WriteLine($"error: {ex.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            var options = new MediaHashOptions
            {
                Algorithms = columns.Algorithms,
                Dihedral = columns.Dihedral,
                Decode = decode,
            };
            var decoder = new ImageDecoder(decode, context.Time);
            var writer = parse.GetValue(format) == "jsonl"
                ? (IHashResultWriter)new JsonLinesHashWriter(context.Out, columns)
                : new CsvHashWriter(context.Out, columns);
            if (parse.GetValue(header) && inputs.Count > 0)
            {
                writer.WriteHeader();
            }

            var failures = 0;
            var progress = new ProgressReporter(context, !!inputOptions.ShowProgress(parse));
            var jsonl = parse.GetValue(format) == "jsonl";
            var geocoder = withMetadata ? new SharedGeocoder(progress.WriteError) : null;
            if (inputs.Count > 0)
            {
                progress.Run("Hashing", inputs.Count, () =>
                    OrderedParallel.Run(
                        inputs,
                        threadCount,
                        () => new CluedFileHasher(new MediaFileHasher(options, decoder), decoder, geocoder),
                        (hasher, path, token) => withMetadata
                            ? hasher.Hash(InputPaths.Resolve(path, context.WorkingDirectory), labelOf[path], token)
                            : (hasher.Hasher.Hash(InputPaths.Resolve(path, context.WorkingDirectory), labelOf[path], token), null),
                        (index, hashed) =>
                        {
                            var (result, clues) = hashed;
                            if (!result.Succeeded)
                            {
                                failures++;
                                progress.WriteError($"error: {inputs[index]}: {result.Error}");
                            }
                            else if (TooSmallWarning.For(result, inputs[index]) is { } warning)
                            {
                                progress.WriteError(warning);
                            }

                            if (clues is not null && writer is JsonLinesHashWriter jsonWriter)
                            {
                                jsonWriter.Write(result, clues);
                            }
                            else
                            {
                                writer.Write(result);
                            }

                            progress.Advance();
                        },
                        cancellationToken));
            }
            if (videos.Count > 0)
            {
                if (parse.GetValue(header) && !jsonl)
                {
                    context.Out.Write("frame_number,quality,pdq,timestamp,path\n");
                }

                var outDir = parse.GetValue(vpdqDir) is { } dir ? InputPaths.Resolve(dir, context.WorkingDirectory) : null;
                if (outDir is not null)
                {
                    Directory.CreateDirectory(outDir);
                }

                var bundlePath = parse.GetValue(vpdqList) is { } listPath ? InputPaths.Resolve(listPath, context.WorkingDirectory) : null;
                using var bundle = bundlePath is null ? null : new StreamWriter(bundlePath);
                bundle?.Write(VpdqFormat.BundleMagic + "\n");
                progress.Run("Hashing videos", videos.Count, () =>
                    VideoCli.HashAll(videos, videoOptions, threadCount, context, (_, video) =>
                    {
                        if (video.Error is not null)
                        {
                            failures++;
                            progress.WriteError($"error: {video.Path}: {video.Error}");
                        }

                        VideoCli.WriteFrames(context.Out, video, jsonl, videoOptions.ComputeDigests);
                        if (outDir is not null && video.Hash is not null)
                        {
                            using var file = new StreamWriter(Path.Combine(outDir, Path.GetFileName(video.Path) + ".vpdq"));
                            VpdqFormat.Write(file, video.Hash.Frames);
                        }

                        if (bundle is not null && video.Hash is not null)
                        {
                            var known = new KnownVideo(video.Path, video.Hash.Frames, video.Hash.Digests?.Md5);
                            var text = new StringWriter();
                            VpdqFormat.WriteBundle(text, [known]);
                            bundle.Write(text.ToString()[(VpdqFormat.BundleMagic.Length + 1)..]);
                        }

                        progress.Advance();
                    }, cancellationToken));
            }

            context.Out.Flush();
            return Task.FromResult(failures > 0 ? ExitCodes.SomeFilesFailed : ExitCodes.Success);
        });
        return command;
    }
}
