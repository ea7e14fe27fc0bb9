namespace Needle.Video;

/// <summary>Which file names are taken for videos.</summary>
public static class VideoFiles
{
    /// <summary>Extensions (lowercase, with dot) treated as video.</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".3gp", ".wmv", ".flv", ".ts",
    };

    /// <summary>Whether <paramref name="path"/> has a video extension.</summary>
    public static bool IsVideo(string path) => Extensions.Contains(Path.GetExtension(path));
}
