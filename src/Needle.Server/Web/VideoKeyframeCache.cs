using System.Collections.Concurrent;
using Needle.Application.Media;
using Needle.Core.Reports;
using Needle.Video;

namespace Needle.Server.Web;

/// <summary>
/// The keyframes of the videos on the pages (<see cref="VideoKeyframes"/>), kept in memory for a few minutes so the page
/// and its strip of thumbnails run ffmpeg once per video, not once per image. At most a few videos are kept; the
/// decrypted video exists on disk only while ffmpeg reads it.
/// </summary>
internal sealed class VideoKeyframeCache(TimeProvider time, MediaProtector protector, NeedleServerOptions options)
{
    /// <summary>Most keyframes shown for one video.</summary>
    public const int MaxFrames = 6;

    private const int MaxVideos = 16;
    private static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<Guid, (DateTimeOffset Until, Task<IReadOnlyList<byte[]>> Frames)> _frames = new();

    /// <summary>The video's keyframes as PNGs (empty when ffmpeg finds none or cannot run).</summary>
    public Task<IReadOnlyList<byte[]>> GetAsync(StoredMedia media, double? durationSeconds, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _frames)
        {
            if (value.Until <= now)
            {
                _frames.TryRemove(key, out _);
            }
        }

        if (_frames.TryGetValue(media.FileId, out var cached) && cached.Frames is { IsFaulted: false, IsCanceled: false })
        {
            return cached.Frames;
        }

        // Not tied to the request that started it: the next request for the same video shares it.
        _ = cancellationToken;
        var frames = ExtractAsync(media, durationSeconds, CancellationToken.None);
        if (_frames.Count < MaxVideos)
        {
            _frames[media.FileId] = (now + KeepFor, frames);
        }

        return frames;
    }

    private async Task<IReadOnlyList<byte[]>> ExtractAsync(StoredMedia media, double? durationSeconds, CancellationToken cancellationToken)
    {
        // ffmpeg needs a file it can seek: the decrypted video exists only for this call, readable by this user alone.
        var path = await PrivateMediaFiles.WriteAsync(protector.Unprotect(media.EncryptedBytes, media.FileId), options.MediaTempDirectory, cancellationToken).ConfigureAwait(false);
        try
        {
            return await VideoKeyframes.ExtractAsync(path, MaxFrames, durationSeconds, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (VideoHashException)
        {
            return [];
        }
        finally
        {
            File.Delete(path);
        }
    }
}
