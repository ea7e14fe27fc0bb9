using System.CommandLine;
using Needle.Cli.Clues;
using Needle.Cli.Infrastructure;
using Needle.Cli.Output;
using Needle.Hashing;

namespace Needle.Cli.Commands;

/// <summary>
/// <c>needle hash</c>: PDQ (and MD5/SHA-1/SHA-256) of image files, printed as Meta's reference tool prints them.
/// </summary>
internal static class HashCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "Image files or folders (walked recursively).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var filesFrom = new Option<string?>("--files-from")
        {
            Description = "Read paths from FILE, one per line ('-' for stdin).",
            HelpName = "FILE",
        };
        var algorithm = new Option<string[]>("--algorithm", "-a")
        {
            Description = "Hash to compute: pdq, md5, sha1, sha256. Repeatable; columns follow this order. Default: pdq.",
            HelpName = "NAME",
            AllowMultipleArgumentsPerToken = false,
        };
        algorithm.AcceptOnlyFromAmong("pdq", "md5", "sha1", "sha256");
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
        var threads = new Option<int>("--threads", "-j")
        {
            Description = "Worker threads (default: all cores). Output order does not depend on it.",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var allFiles = new Option<bool>("--all-files")
        {
            Description = "When walking folders, hash every file, not only those with an image extension.",
        };
        var noProgress = new Option<bool>("--no-progress") { Description = "Never draw the progress bar." };
        var metadata = new Option<bool>("--metadata")
        {
            Description = "Add each file's metadata clues (GPS with country and region, capture time, camera and serials, names, EXIF thumbnail compared by PDQ) as a 'metadata' object. jsonl only.",
        };
        var decodeOptions = new DecodeOptionSet();

        var command = new Command("hash", "Compute PDQ perceptual hashes (and MD5/SHA-1/SHA-256) of images.")
        {
            paths, filesFrom, algorithm, dihedral, format, header, threads, allFiles, noProgress, metadata,
        };
        decodeOptions.AddTo(command);

        command.SetAction((parse, cancellationToken) =>
        {
            var threadCount = parse.GetValue(threads);
            if (threadCount < 1)
            {
                context.Error.WriteLine("error: --threads must be at least 1");
                return Task.FromResult(ExitCodes.Usage);
            }

            var withMetadata = parse.GetValue(metadata);
            if (withMetadata && parse.GetValue(format) != "jsonl")
            {
                context.Error.WriteLine("error: --metadata needs --format jsonl (the metadata is a nested object that CSV cannot hold)");
                return Task.FromResult(ExitCodes.Usage);
            }

            var columns = HashColumns.FromNames(parse.GetValue(algorithm) ?? [], parse.GetValue(dihedral));
            var decode = decodeOptions.Read(parse, context.Error);
            if (decode is null)
            {
                return Task.FromResult(ExitCodes.Usage);
            }

            List<string> inputs;
            try
            {
                inputs = InputPaths.Expand(parse.GetValue(paths) ?? [], parse.GetValue(filesFrom), context.In,
                    parse.GetValue(allFiles), context.WorkingDirectory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                context.Error.WriteLine($"error: {parse.GetValue(filesFrom)}: {ex.Message}");
                return Task.FromResult(ExitCodes.Usage);
            }

            if (inputs.Count == 0)
            {
                context.Error.WriteLine("error: no input files (give PATH arguments or --files-from)");
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
            if (parse.GetValue(header))
            {
                writer.WriteHeader();
            }

            var failures = 0;
            var progress = new ProgressReporter(context, !parse.GetValue(noProgress));
            var geocoder = withMetadata ? new SharedGeocoder(progress.WriteError) : null;
            progress.Run("Hashing", inputs.Count, () =>
                OrderedParallel.Run(
                    inputs,
                    threadCount,
                    () => new CluedFileHasher(new MediaFileHasher(options, decoder), decoder, geocoder),
                    (hasher, path, token) => withMetadata
                        ? hasher.Hash(InputPaths.Resolve(path, context.WorkingDirectory), path, token)
                        : (hasher.Hasher.Hash(InputPaths.Resolve(path, context.WorkingDirectory), path, token), null),
                    (_, hashed) =>
                    {
                        var (result, clues) = hashed;
                        if (!result.Succeeded)
                        {
                            failures++;
                            progress.WriteError($"error: {result.Path}: {result.Error}");
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
            context.Out.Flush();
            return Task.FromResult(failures > 0 ? ExitCodes.SomeFilesFailed : ExitCodes.Success);
        });
        return command;
    }
}
