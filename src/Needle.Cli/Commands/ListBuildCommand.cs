using System.CommandLine;
using Needle.Cli.Infrastructure;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle list build PATH... -o LIST.jsonl</c>: a Needle list made from media, with every signal of each picture:
/// PDQ, MD5, SHA-1, SHA-256 and its robust entry (descriptor and keypoints), all under one label.
/// </summary>
internal static class ListBuildCommand
{
    public static Command Create(CliContext context)
    {
        var outFile = new Option<string>("--out", "-o") { Description = "The list file to write (Needle's JSON lines format).", Required = true, HelpName = "LIST.jsonl" };
        var labelFromName = new Option<bool>("--label-from-name") { Description = "Label each picture by its file name alone (default: its path under the folder given)." };
        var name = new Option<string?>("--name") { Description = "The list's name (default: the output file's name).", HelpName = "NAME" };
        var category = new Option<string?>("--category") { Description = "A category written on every entry.", HelpName = "CATEGORY" };
        var noRobust = new Option<bool>("--no-robust") { Description = "Leave out the robust entries (hashes only)." };
        var inputOptions = new InputOptionSet("Pictures or folders of pictures to list (folders are walked recursively).");
        var decodeOptions = new DecodeOptionSet();
        var robustOptions = new RobustOptionSet(withMode: false);
        var command = new Command("build", "Make a Needle list (JSON lines) from pictures: PDQ, MD5, SHA-1, SHA-256 and the robust entry of each.")
        {
            outFile, labelFromName, name, category, noRobust,
        };
        inputOptions.AddTo(command);
        decodeOptions.AddTo(command);
        robustOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var decode = decodeOptions.Read(parse, context.Error);
            var folders = new List<string?>();
            if (decode is null || inputOptions.Expand(parse, context, folders) is not { } inputs)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var extractor = parse.GetValue(noRobust) ? null : robustOptions.Load(parse, context);
            if (!parse.GetValue(noRobust) && extractor is null)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            var target = InputPaths.Resolve(parse.GetValue(outFile)!, context.WorkingDirectory);
            var decoder = new ImageDecoder(decode, context.Time);
            var hashOptions = new MediaHashOptions { Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5 | HashAlgorithms.Sha1 | HashAlgorithms.Sha256, Decode = decode };
            var built = new (MediaHashResult Hashes, RobustFeatures? Robust)[inputs.Count];
            var progress = new ProgressReporter(context, inputOptions.ShowProgress(parse));
            progress.Run("Listing", inputs.Count, () =>
                OrderedParallel.Run(
                    inputs,
                    inputOptions.Threads(parse),
                    () => new MediaFileHasher(hashOptions, decoder),
                    (hasher, path, token) => Describe(hasher, decoder, extractor, InputPaths.Resolve(path, context.WorkingDirectory), path, token),
                    (index, item) =>
                    {
                        if (!item.Hashes.Succeeded)
                        {
                            progress.WriteError($"error: {item.Hashes.Path}: {item.Hashes.Error}");
                        }

                        built[index] = item;
                        progress.Advance();
                    },
                    cancellationToken));

            var list = new HashList(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(target));
            var failed = 0;
            for (var i = 0; i < built.Length; i++)
            {
                var (hashes, robust) = built[i];
                if (!hashes.Succeeded && hashes.Md5 is null)
                {
                    failed++;
                    continue;
                }

                failed += hashes.Succeeded ? 0 : 1;
                var label = LabelOptionSet.Label(parse.GetValue(labelFromName) ? "name" : "relative", inputs[i], folders[i], context.WorkingDirectory);
                void Add(SignalType type, string? value)
                {
                    if (value is not null && !type.CanNeverMatch(value, out _))
                    {
                        list.Add(new HashListEntry(type, value) { Label = label, Category = parse.GetValue(category), Source = "needle list build" });
                    }
                }

                Add(SignalTypes.Pdq, hashes.Pdq?.Hash.ToString());
                Add(SignalTypes.Md5, hashes.Md5);
                Add(SignalTypes.Sha1, hashes.Sha1);
                Add(SignalTypes.Sha256, hashes.Sha256);
                Add(SignalTypes.Robust, robust?.Encode());
            }

            try
            {
                HashListFormats.Default.WriteFile(list, target, "needle");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                context.Error.WriteLine($"error: {parse.GetValue(outFile)}: {ex.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            context.Error.WriteLine($"{built.Length - failed} of {built.Length} files listed, {list.Count} entries written to {parse.GetValue(outFile)}");
            return Task.FromResult(failed > 0 ? ExitCodes.SomeFilesFailed : ExitCodes.Success);
        });
        return command;
    }

    private static (MediaHashResult Hashes, RobustFeatures? Robust) Describe(
        MediaFileHasher hasher, ImageDecoder decoder, RobustFeatureExtractor? extractor, string fullPath, string shownPath, CancellationToken cancellationToken)
    {
        FileContents contents;
        try
        {
            contents = FileContents.Read(fullPath, decoder.Options.MaxFileBytes, cancellationToken);
        }
        catch (ImageDecodeException ex)
        {
            return (new MediaHashResult { Path = shownPath, Error = ex.Reason, Failure = ex.Failure }, null);
        }

        using (contents)
        {
            var hashes = hasher.HashBytes(contents.Bytes, shownPath, cancellationToken);
            if (extractor is null || !hashes.Succeeded)
            {
                return (hashes, null);
            }

            using var image = decoder.DecodeForDisplay(contents.Bytes, SecondLook.WorkingSize, shownPath, cancellationToken);
            return (hashes, extractor.Extract(image));
        }
    }
}
