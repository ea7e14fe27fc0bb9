using Needle.Hashing;
using System.Globalization;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Triage;

/// <summary>Turns hashes (computed or reported) into <see cref="FileSignals"/>, and matches into stored form.</summary>
internal static class Signals
{
    /// <summary>
    /// Signals of hashed media: all eight dihedral PDQ hashes and the exact digests. Needle cannot compute PhotoDNA, so
    /// the reporter's PhotoDNA (if any) is matched too.
    /// </summary>
    public static FileSignals FromHashes(MediaHashResult hashed, ReporterHashes? reporter) => new()
    {
        Pdq = hashed.Pdq?.Hash,
        PdqQuality = hashed.Pdq?.Quality,
        PdqDihedral = hashed.Dihedral is { } dihedral ? dihedral.Hashes.ToArray() : null,
        Md5 = hashed.Md5,
        Sha1 = hashed.Sha1,
        Sha256 = hashed.Sha256,
        PhotoDna = PhotoDnaBytes(reporter?.PhotoDna),
    };

    /// <summary>Signals of the reporter's hashes (already validated at intake); null when there are none.</summary>
    public static FileSignals? FromReporterHashes(ReporterHashes? hashes)
    {
        if (hashes is null || ReportIntake.IsEmpty(hashes))
        {
            return null;
        }

        return new FileSignals
        {
            Pdq = hashes.Pdq is { } pdq && PdqHash.TryParse(pdq.Trim(), out var parsed) ? parsed : null,
            Md5 = hashes.Md5,
            Sha1 = hashes.Sha1,
            Sha256 = hashes.Sha256,
            PhotoDna = PhotoDnaBytes(hashes.PhotoDna),
        };
    }

    /// <summary>Known-list matches, then the allow-list entries that overrode them (flagged AllowList).</summary>
    public static IReadOnlyList<StoredMatch> ToStoredMatches(MatchResult result)
    {
        if (result.Matches.Count == 0 && result.AllowedBy.Count == 0)
        {
            return [];
        }

        var matches = new List<StoredMatch>(result.Matches.Count + result.AllowedBy.Count);
        foreach (var match in result.Matches.Concat(result.AllowedBy))
        {
            matches.Add(new StoredMatch(
                match.ListName,
                match.Entry.Id,
                match.Entry.Label,
                match.Entry.Category,
                match.SignalType.Name,
                match.MatchedValue,
                match.Distance,
                match.Transform.ToName(),
                match.ListKind == HashListKind.Allow));
        }

        return matches;
    }

    /// <summary>vPDQ matches in stored form, with their shares of frames and time ranges.</summary>
    public static IEnumerable<StoredMatch> ToStoredMatches(IReadOnlyList<VideoListMatch> matches) => VideoMatches.ToStored(matches);

    internal static byte[]? PhotoDnaBytes(string? text)
    {
        if (text is null || !SignalTypes.PhotoDna.TryNormalize(text, out var normalized, out _))
        {
            return null;
        }

        return Convert.FromBase64String(normalized);
    }
}

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
                string.Create(CultureInfo.InvariantCulture, $"vpdq:{match.Video.Frames.Count} frames"),
                Math.Round(100 - Math.Max(match.QueryPercent, match.KnownPercent), 3),
                match.Transform.ToName(),
                kind == HashListKind.Allow)
            {
                Video = new VideoMatchDetails(string.Join(',', rules), Math.Round(match.QueryPercent, 3), Math.Round(match.KnownPercent, 3), segments),
            };
        }
    }
}
