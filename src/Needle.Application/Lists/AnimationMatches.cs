using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>
/// Matches the frames of an animated image (GIF, WebP, APNG) like a short video: each frame's PDQ against the lists'
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

        var best = BestFrameMatches(matchPicture, animation, minQuality, seen);
        var stored = new List<StoredMatch>(best.Count);
        var hashed = Math.Max(1, animation.Frames.Count);
        foreach (var (match, frame, frames) in best)
        {
            stored.Add(Signals.ToStored(match) with
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

    /// <summary>
    /// For a lookup or a scan, which report list matches: <paramref name="still"/> (the file's own match, frame 0) with
    /// the frame matches of <see cref="Match"/> added, each with its <see cref="ListMatch.Frame"/> number.
    /// </summary>
    public static MatchResult MatchFrames(Func<FileSignals, MatchResult> matchPicture, AnimationHash animation, int minQuality, MatchResult still)
    {
        ArgumentNullException.ThrowIfNull(matchPicture);
        ArgumentNullException.ThrowIfNull(animation);
        ArgumentNullException.ThrowIfNull(still);
        var seen = new HashSet<(string, int, bool)>();
        foreach (var match in still.Matches.Concat(still.AllowedBy).Concat(still.SuppressedMatches))
        {
            seen.Add(Key(match));
        }

        var best = BestFrameMatches(matchPicture, animation, minQuality, seen);
        var frames = new ListMatch[best.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = best[i].Match;
        }

        return MatchResult.Merge(still, frames);
    }

    /// <summary>Each list entry a frame after frame 0 matches, at its closest frame (with that frame's number), and how many frames matched it.</summary>
    private static List<(ListMatch Match, AnimationFrame Frame, int Frames)> BestFrameMatches(
        Func<FileSignals, MatchResult> matchPicture, AnimationHash animation, int minQuality, HashSet<(string, int, bool)> seen)
    {
        var best = new Dictionary<(string, int, bool), (ListMatch Match, AnimationFrame Frame, int Frames)>();
        foreach (var frame in animation.Frames)
        {
            if (frame.FrameNumber == 0 || frame.Pdq.Quality < minQuality)
            {
                continue;
            }

            var result = matchPicture(new FileSignals { Pdq = frame.Pdq.Hash, PdqQuality = frame.Pdq.Quality });
            foreach (var match in result.Matches.Concat(result.AllowedBy))
            {
                var key = Key(match);
                if (seen.Contains(key))
                {
                    continue;
                }

                if (!best.TryGetValue(key, out var current))
                {
                    best[key] = (match with { Frame = frame.FrameNumber }, frame, 1);
                }
                else
                {
                    best[key] = match.Distance < current.Match.Distance
                        ? (match with { Frame = frame.FrameNumber }, frame, current.Frames + 1)
                        : current with { Frames = current.Frames + 1 };
                }
            }
        }

        return [.. best.Values];
    }

    private static (string, int, bool) Key(ListMatch match) => (match.ListName, match.Entry.Id, match.ListKind == HashListKind.Allow);
}
