using System.Buffers.Binary;
using System.Globalization;

namespace Needle.Video;

/// <summary>
/// A few still frames of a video, for a strip the review pages blur and grey like any thumbnail: one per scene change
/// (ffmpeg's <c>select='gt(scene,0.3)'</c>), at most a cap, or, when the video has fewer than two scene changes, frames
/// evenly spaced over its length. The video is never played and its sound never decoded.
/// </summary>
public static class VideoKeyframes
{
    /// <summary>How different a frame must be from the one before to count as a new scene (ffmpeg's scene score, 0..1).</summary>
    public const double SceneThreshold = 0.3;

    /// <summary>Largest output accepted from ffmpeg for one call.</summary>
    private const int MaxOutputBytes = 64 * 1024 * 1024;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// Up to <paramref name="maxFrames"/> frames of the video at <paramref name="path"/> as PNGs (at most 640 px wide), in
    /// time order; empty when ffmpeg finds no video frame.
    /// </summary>
    /// <param name="path">The video file.</param>
    /// <param name="maxFrames">The cap (1 to 32).</param>
    /// <param name="durationSeconds">The video's length when known (for the evenly spaced fallback); otherwise one frame a second.</param>
    /// <param name="ffmpegPath">The ffmpeg to run.</param>
    /// <param name="timeout">How long both runs may take together (default 30 s).</param>
    /// <param name="cancellationToken">Stops ffmpeg.</param>
    /// <exception cref="VideoHashException">ffmpeg cannot be run.</exception>
    public static async Task<IReadOnlyList<byte[]>> ExtractAsync(string path, int maxFrames, double? durationSeconds = null, string ffmpegPath = "ffmpeg",
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrames, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrames, 32);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromSeconds(30));
        var fullPath = Path.GetFullPath(path);
        var scenes = await RunAsync(ffmpegPath, fullPath, $"select='gt(scene,{SceneThreshold.ToString("0.0##", CultureInfo.InvariantCulture)})'", maxFrames, limit.Token).ConfigureAwait(false);
        if (scenes.Count >= 2)
        {
            return scenes;
        }

        // Too few scene changes (a single shot): frames spread evenly over the video instead.
        var rate = durationSeconds is > 0 ? maxFrames / durationSeconds.Value : 1.0;
        var even = await RunAsync(ffmpegPath, fullPath, "fps=" + rate.ToString("0.######", CultureInfo.InvariantCulture), maxFrames, limit.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return even.Count > 0 ? even : scenes;
    }

    private static async Task<IReadOnlyList<byte[]>> RunAsync(string ffmpegPath, string fullPath, string filter, int maxFrames, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-nostdin", "-v", "error", "-i", "file:" + fullPath,
            "-map", "0:v:0", "-an", "-sn", "-vf", filter + ",scale='min(640,iw)':-2", "-fps_mode", "vfr", "-frames:v", maxFrames.ToString(CultureInfo.InvariantCulture),
            "-f", "image2pipe", "-c:v", "png", "pipe:1",
        ];
        using var process = FfmpegProcess.Start(ffmpegPath, arguments, cancellationToken);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await process.Output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (output.Length + read > MaxOutputBytes)
            {
                process.Kill();
                return [];
            }

            output.Write(buffer, 0, read);
        }

        return process.WaitForExit() == 0 && !process.WasKilled ? SplitPngs(output.GetBuffer().AsSpan(0, (int)output.Length)) : [];
    }

    /// <summary>The PNG files one after another in ffmpeg's image pipe, each up to and including its IEND chunk.</summary>
    internal static List<byte[]> SplitPngs(ReadOnlySpan<byte> data)
    {
        var images = new List<byte[]>();
        var start = 0;
        while (start + PngSignature.Length <= data.Length && data.Slice(start, PngSignature.Length).SequenceEqual(PngSignature))
        {
            var at = start + PngSignature.Length;
            var ended = false;
            while (at + 12 <= data.Length)
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
                if (length > int.MaxValue || at + 12 + (long)length > data.Length)
                {
                    return images;
                }

                var isEnd = data.Slice(at + 4, 4).SequenceEqual("IEND"u8);
                at += 12 + (int)length;
                if (isEnd)
                {
                    ended = true;
                    break;
                }
            }

            if (!ended)
            {
                break;
            }

            images.Add(data[start..at].ToArray());
            start = at;
        }

        return images;
    }
}
