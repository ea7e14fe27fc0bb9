namespace Needle.Cli.Infrastructure;

/// <summary>
/// Expands the PATH arguments of a command into files: files as given, folders walked recursively in ordinal name
/// order (so output order is stable between runs), and <c>--files-from FILE</c> (<c>-</c> for stdin), one path a line.
/// </summary>
internal static class InputPaths
{
    /// <summary>Extensions taken from folders unless all files are asked for.</summary>
    private static readonly HashSet<string> MediaExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".gif", ".bmp", ".dib", ".webp", ".ico", ".wbmp",
        ".heic", ".heif", ".avif", ".tif", ".tiff", ".jxl",
    };

    /// <summary>Whether a folder walk takes <paramref name="path"/> when only media files are wanted (images and videos).</summary>
    public static bool LooksLikeMedia(string path) => MediaExtensions.Contains(Path.GetExtension(path)) || Needle.Video.VideoFiles.IsVideo(path);

    /// <summary>
    /// Lists the inputs. Missing paths are returned too (as given) so the caller reports them as per-file errors and
    /// goes on; a folder contributes its media files (or every file with <paramref name="allFiles"/>). When
    /// <paramref name="folders"/> is given, it receives for each input the folder argument it was found in (null for a
    /// file given itself), for labels relative to that folder.
    /// </summary>
    public static List<string> Expand(
        IReadOnlyList<string> arguments,
        string? filesFrom,
        TextReader stdin,
        bool allFiles,
        string workingDirectory,
        List<string?>? folders = null)
    {
        var result = new List<string>();
        if (filesFrom is not null)
        {
            using var reader = filesFrom == "-" ? null : new StreamReader(Resolve(filesFrom, workingDirectory));
            var source = reader ?? stdin;
            while (source.ReadLine() is { } line)
            {
                // Paths may contain spaces; only a trailing carriage return (CRLF lists) is trimmed.
                var path = line.TrimEnd('\r');
                if (path.Length > 0)
                {
                    AddPath(path, allFiles, workingDirectory, result, folders);
                }
            }
        }

        foreach (var argument in arguments)
        {
            AddPath(argument, allFiles, workingDirectory, result, folders);
        }

        return result;
    }

    public static string Resolve(string path, string workingDirectory) =>
        Path.IsPathRooted(path) ? path : Path.Combine(workingDirectory, path);

    private static void AddPath(string path, bool allFiles, string workingDirectory, List<string> result, List<string?>? folders)
    {
        var resolved = Resolve(path, workingDirectory);
        if (!Directory.Exists(resolved))
        {
            result.Add(path);
            folders?.Add(null);
            return;
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            // Do not follow symbolic links to folders: a link cycle would never end.
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(resolved, "*", options))
        {
            if (allFiles || LooksLikeMedia(file))
            {
                files.Add(file);
            }
        }

        files.Sort(StringComparer.Ordinal);
        foreach (var file in files)
        {
            // Keep the user's spelling of the folder: "photos/a.jpg", not an absolute path.
            result.Add(Path.Join(path, Path.GetRelativePath(resolved, file)));
            folders?.Add(path);
        }
    }
}
