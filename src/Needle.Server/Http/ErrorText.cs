using System.Text.RegularExpressions;

namespace Needle.Server.Http;

/// <summary>
/// A processing error as shown to clients and reviewers: file-system paths (the private temporary copy ffmpeg read, a
/// poster frame's folder) are replaced by "the file", so no server path leaks into an answer or a page.
/// </summary>
internal static partial class ErrorText
{
    public static string? ForClient(string? error) => error is null ? null : Path().Replace(error, "the file");

    // An absolute path of two or more segments (/tmp/needle-video-abc, C:\Temp\x), not a ratio like 4K/60 or 1/2.
    [GeneratedRegex(@"(?<![\w.:/\\])(?:[A-Za-z]:\\|/)(?:[\w.+\-]+[/\\])+[\w.+\-]*|(?<![\w.])[A-Za-z]:\\[\w.+\-]+", RegexOptions.CultureInvariant)]
    private static partial Regex Path();
}
