using System.Globalization;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>vPDQ matches in the form reports store and the API returns.</summary>
public static class VideoMatches
{
    /// <summary>Each match as a <see cref="StoredMatch"/> with its <see cref="VideoMatchDetails"/>; times rounded to milliseconds.</summary>
    public static IEnumerable<StoredMatch> ToStored(IReadOnlyList<VideoListMatch> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        foreach (var (listName, kind, entry, match) in matches)
        {
            var rules = new List<string>(3);
            if ((match.Rule & VideoMatchRule.Known) != 0)
            {
                rules.Add("known");
            }

            if ((match.Rule & VideoMatchRule.Clip) != 0)
            {
                rules.Add("clip");
            }

            if ((match.Rule & VideoMatchRule.Md5) != 0)
            {
                rules.Add("md5");
            }

            var segments = match.Segments
                .Select(static s => new MatchedTimeRange(Math.Round(s.Query.Start, 3), Math.Round(s.Query.End, 3), Math.Round(s.Known.Start, 3), Math.Round(s.Known.End, 3)))
                .ToList();
            yield return new StoredMatch(
                listName,
                entry.Id,
                entry.Label,
                entry.Category,
                entry.SignalType.Name,
                string.Create(CultureInfo.InvariantCulture, $"vpdq:{match.Video.FrameCount} frames"),
                Math.Round(100 - Math.Max(match.QueryPercent, match.KnownPercent), 3),
                match.Transform.ToName(),
                kind == HashListKind.Allow)
            {
                Video = new VideoMatchDetails(string.Join(',', rules), Math.Round(match.QueryPercent, 3), Math.Round(match.KnownPercent, 3), segments),
            };
        }
    }
}
