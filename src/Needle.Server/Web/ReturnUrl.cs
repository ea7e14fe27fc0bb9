namespace Needle.Server.Web;

/// <summary>
/// Where a form may send the browser back to: only a path on this server. The text must be printable ASCII (no
/// control characters such as tab or newline, which browsers strip), start with one '/', hold no '\' (which browsers
/// read as '/'), and stay so after percent-decoding (so neither "//host", "/\host" nor "%2F%2Fhost" leaves the site).
/// Anything else is refused and the caller uses its default page.
/// </summary>
internal static class ReturnUrl
{
    private const int MaxLength = 2048;

    public static string? Local(string? url)
    {
        if (url is not { Length: > 0 and <= MaxLength } || !url.All(static c => c is > ' ' and < '\u007f') || !Uri.TryCreate(url, UriKind.Relative, out _))
        {
            return null;
        }

        // Decoded until it no longer changes (a few rounds at most): every form must be a local path.
        var text = url;
        for (var round = 0; round < 4; round++)
        {
            if (!IsLocalPath(text))
            {
                return null;
            }

            var decoded = Uri.UnescapeDataString(text);
            if (decoded == text)
            {
                return url;
            }

            text = decoded;
        }

        return null;
    }

    private static bool IsLocalPath(string text) =>
        text.Length >= 1 && text[0] == '/' && (text.Length == 1 || text[1] is not ('/' or '\\')) &&
        !text.Contains('\\', StringComparison.Ordinal) && !text.Any(char.IsControl);
}
