using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>
/// Matches the frames of an animated image (GIF, WebP) like a short video: each frame's PDQ against the lists'
/// picture entries (so a listed picture shown as any one frame is found, with its frame number), and the frames
/// together as a vPDQ hash against the lists' video entries.
/// </summary>
public static class AnimationMatches
{
    /// <summary>The animation's frames as a vPDQ hash (frame number, quality, PDQ, time), for video matching and storage.</summary>
    public static VideoHash ToVideoHash(AnimationHash animation, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(animation);
        var frames = new VpdqFrame[animation.Frames.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            var frame = animation.Frames[i];
            frames[i] = new VpdqFrame(frame.FrameNumber, frame.Pdq.Quality, frame.Pdq.Hash, frame.Timestamp);
        }

        return new VideoHash
        {
            Frames = frames,
            FrameRate = animation.Duration > 0 ? Math.Round(animation.FrameCount / animation.Duration, 3) : 0,
            Width = width,
            Height = height,
            Duration = animation.Duration,
            Truncated = animation.Truncated,
        };
    }

    /// <summary>
    /// Picture-entry matches of every frame after frame 0 (frame 0 is the file's own PDQ, matched with its dihedral
    /// variants by the caller), one per list entry at the frame where it is closest, leaving out entries in
    /// <paramref name="already"/>; then the vPDQ matches of the whole animation.
    /// </summary>
    public static IReadOnlyList<StoredMatch> Match(
        Func<FileSignals, MatchResult> matchPicture, Func<VideoHash, IReadOnlyList<VideoListMatch>> matchVideo, AnimationHash animation,
        VideoHash video, int minQuality, IReadOnlyList<StoredMatch> already)
    {
        ArgumentNullException.ThrowIfNull(matchPicture);
        ArgumentNullException.ThrowIfNull(matchVideo);
        ArgumentNullException.ThrowIfNull(animation);
        ArgumentNullException.ThrowIfNull(already);
        var seen = new HashSet<(string, int, bool)>();
        foreach (var match in already)
        {
            seen.Add((match.ListName, match.EntryId, match.AllowList));
        }

        var best = new Dictionary<(string, int, bool), (StoredMatch Match, AnimationFrame Frame, int Frames)>();
        foreach (var frame in animation.Frames)
        {
            if (frame.FrameNumber == 0 || frame.Pdq.Quality < minQuality)
            {
                continue;
            }

            var result = matchPicture(new FileSignals { Pdq = frame.Pdq.Hash, PdqQuality = frame.Pdq.Quality });
            foreach (var match in Signals.ToStoredMatches(result))
            {
                var key = (match.ListName, match.EntryId, match.AllowList);
                if (seen.Contains(key))
                {
                    continue;
                }

                if (!best.TryGetValue(key, out var current))
                {
                    best[key] = (match, frame, 1);
                }
                else
                {
                    best[key] = match.Distance < current.Match.Distance ? (match, frame, current.Frames + 1) : current with { Frames = current.Frames + 1 };
                }
            }
        }

        var stored = new List<StoredMatch>(best.Count);
        var hashed = Math.Max(1, animation.Frames.Count);
        foreach (var (match, frame, frames) in best.Values)
        {
            stored.Add(match with
            {
                Video = new VideoMatchDetails("frame", Math.Round(100.0 * frames / hashed, 3), 100, [new MatchedTimeRange(frame.Timestamp, frame.Timestamp, 0, 0)])
                {
                    Frame = frame.FrameNumber,
                },
            });
        }

        stored.AddRange(Signals.ToStoredMatches(matchVideo(video)));
        return stored;
    }
}
