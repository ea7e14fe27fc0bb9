using Needle.Matching.Compiled;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Cli.Infrastructure;

/// <summary>Loads list files for commands, reporting problems as <c>error: FILE: reason</c> lines.</summary>
internal static class ListFiles
{
    /// <summary>
    /// The list, or null after writing an error (unreadable, unknown format or invalid records). With
    /// <paramref name="detailDirectory"/> the entries' labels and metadata go to a temporary file there, read back only
    /// for matches (scanning keeps memory to what matching needs).
    /// </summary>
    public static HashList? Load(string path, HashListKind kind, string? formatName, CliContext context, bool skipInvalid = false, string? detailDirectory = null) =>
        TryRead(path, kind, context, skipInvalid, detailDirectory, (resolved, options) => HashListFormats.Default.ReadFile(resolved, options, formatName), out var result)
            ? result!.List
            : null;

    /// <summary>
    /// Reads the list into <paramref name="builder"/> (streamed: no entry is held). False after writing an error;
    /// true with <paramref name="compiled"/> false when the list cannot be compiled (vPDQ or robust entries, a repeated
    /// id): nothing of it was kept and nothing was written, so the caller loads it with <see cref="Load"/> instead.
    /// </summary>
    public static bool TryCompile(CompiledListBuilder builder, string path, HashListKind kind, string? formatName, CliContext context, bool skipInvalid, out bool compiled)
    {
        var ok = TryRead(path, kind, context, skipInvalid, null, (resolved, options) => builder.TryAddFile(resolved, options, formatName), out var result);
        compiled = result is not null;
        return ok;
    }

    private static bool TryRead(
        string path, HashListKind kind, CliContext context, bool skipInvalid, string? detailDirectory, Func<string, ImportOptions, ImportResult?> read, out ImportResult? result)
    {
        result = null;
        var resolved = InputPaths.Resolve(path, context.WorkingDirectory);
        if (Directory.Exists(resolved))
        {
            context.Error.WriteLine($"error: {path}: this is a folder, not a list file");
            return false;
        }

        try
        {
            var options = new ImportOptions
            {
                Kind = kind,
                ListName = Path.GetFileNameWithoutExtension(path),
                FileName = path,
                SkipInvalid = skipInvalid,
                DetailDirectory = detailDirectory,
            };
            result = read(resolved, options);
            if (result is null)
            {
                return true;
            }

            foreach (var error in result.Errors)
            {
                context.Error.WriteLine($"warning: {path}: skipped {error}");
            }

            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine($"warning: {path}: {warning}");
            }

            if (result.WarningCount > result.Warnings.Count)
            {
                context.Error.WriteLine($"warning: {path}: {result.WarningCount - result.Warnings.Count} more values skipped");
            }

            return true;
        }
        catch (HashListFormatException ex)
        {
            // The message already starts with the file name.
            context.Error.WriteLine($"error: {ex.Message}");
        }
        catch (FileNotFoundException)
        {
            context.Error.WriteLine($"error: {path}: the list file does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            context.Error.WriteLine($"error: {path}: {ex.Message}");
        }

        result = null;
        return false;
    }
}
