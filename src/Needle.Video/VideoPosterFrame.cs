namespace Needle.Video;

/// <summary>
/// One still frame of a video as PNG, for a poster: the review pages blur and grey it like any thumbnail, so a video is
/// never played (no sound, no autoplay) to show what it is.
/// </summary>
public static class VideoPosterFrame
{
    /// <summary>Largest poster accepted from ffmpeg (a PNG frame far above any sensible size means something is wrong).</summary>
    private const int MaxPngBytes = 32 * 1024 * 1024;

    /// <summary>
    /// The frame one second in (or the first frame of a shorter video), scaled to at most 640 pixels wide, as PNG; null
    /// when ffmpeg finds no video frame. Runs ffmpeg (<paramref name="ffmpegPath"/>) on the file at <paramref name="path"/>.
    /// </summary>
    /// <exception cref="VideoHashException">ffmpeg cannot be run.</exception>
    public static async Task<byte[]?> ExtractAsync(string path, string ffmpegPath = "ffmpeg", TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(20));
        foreach (var seek in new[] { "1", "0" })
        {
            var frame = await RunAsync(ffmpegPath, seek, Path.GetFullPath(path), limit.Token).ConfigureAwait(false);
            if (frame is { Length: > 0 })
            {
                return frame;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return null;
    }

    private static async Task<byte[]?> RunAsync(string ffmpegPath, string seek, string fullPath, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-nostdin", "-v", "error", "-ss", seek, "-i", "file:" + fullPath,
            "-map", "0:v:0", "-an", "-frames:v", "1", "-vf", "scale='min(640,iw)':-2",
            "-f", "image2pipe", "-c:v", "png", "pipe:1",
        ];
        using var process = FfmpegProcess.Start(ffmpegPath, arguments, cancellationToken);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await process.Output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (output.Length + read > MaxPngBytes)
            {
                process.Kill();
                return null;
            }

            output.Write(buffer, 0, read);
        }

        return process.WaitForExit() == 0 && !process.WasKilled ? output.ToArray() : null;
    }
}
