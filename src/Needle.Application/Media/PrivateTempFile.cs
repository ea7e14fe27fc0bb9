namespace Needle.Application.Media;

/// <summary>Decrypted media written for a child process (ffmpeg) to read: a new file only this user can read.</summary>
internal static class PrivateTempFile
{
    /// <summary>Writes <paramref name="bytes"/> to a new file, 0600 from creation (never world-readable), and returns its path; the caller deletes it.</summary>
    public static string Write(ReadOnlySpan<byte> bytes, string? directory)
    {
        var path = Path.Combine(directory ?? Path.GetTempPath(), "needle-video-" + Guid.NewGuid().ToString("N"));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(bytes);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }
}
