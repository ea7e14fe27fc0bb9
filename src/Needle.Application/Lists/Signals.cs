using Needle.Application.Intake;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

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
            matches.Add(ToStored(match));
        }

        return matches;
    }

    /// <summary>One list match in stored form.</summary>
    internal static StoredMatch ToStored(ListMatch match) => new(
        match.ListName,
        match.Entry.Id,
        match.Entry.Label,
        match.Entry.Category,
        match.SignalType.Name,
        match.MatchedValue,
        match.Distance,
        match.TransformName,
        match.ListKind == HashListKind.Allow)
    {
        Robust = match.Robust,
    };

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
