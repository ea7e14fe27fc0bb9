using System.Net;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;

namespace Needle.Application.Clues;

/// <summary>
/// Decides a report's jurisdiction from its location clues. Precedence, strongest first:
/// <list type="number">
/// <item><b>gps</b>: GPS positions in the report's files (where the picture was taken; the child is most likely there);</item>
/// <item><b>ip-upload</b>: IP addresses of <c>upload</c> capture events (where the reported person was when sharing);</item>
/// <item><b>ip</b>: the other IP capture events (login, registration...).</item>
/// </list>
/// The first tier holding at least one placed clue decides. Within it, the most frequent country wins (a tie goes to the
/// country seen first), and the region is the most frequent one among that tier's clues in that country. Clues of any
/// tier pointing elsewhere are listed as <see cref="ReportJurisdiction.Conflicts"/>. No clue at all: the default queue.
/// </summary>
public static class JurisdictionRouter
{
    /// <summary>Decided by GPS positions in the report's files.</summary>
    public const string BasisGps = "gps";
    /// <summary>Decided by IP addresses of upload capture events.</summary>
    public const string BasisUploadIp = "ip-upload";
    /// <summary>Decided by the other IP capture events.</summary>
    public const string BasisIp = "ip";
    /// <summary>No clue placed the report: the rules' default queue.</summary>
    public const string BasisNone = "none";

    /// <summary>The evidence of a report: GPS of its files (with their clues) and its IP capture events looked up in <paramref name="geo"/>.</summary>
    public static IReadOnlyList<JurisdictionEvidence> Collect(
        ReportSubmission submission,
        IEnumerable<(StoredFile File, FileClues? Clues)> files,
        GeoLocator? geo)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(files);
        var evidence = new List<JurisdictionEvidence>();
        foreach (var (file, clues) in files.OrderBy(static f => f.File.Ordinal))
        {
            if (clues?.Gps is { } gps)
            {
                evidence.Add(new JurisdictionEvidence
                {
                    Kind = "gps",
                    FileId = file.Id,
                    OriginalName = file.OriginalName,
                    Lat = gps.Latitude,
                    Lon = gps.Longitude,
                    Country = gps.Country,
                    Region = gps.Region,
                    Note = gps.Country is null ? "the position is not in a known country (at sea, or no boundary data)" : null,
                });
            }
        }

        var events = submission.ReportedPerson?.IpCaptureEvents ?? [];
        if (events.Count == 0)
        {
            return evidence;
        }

        var database = geo?.IpDatabase;
        var databaseName = database is null ? null : GeoLocator.Describe(database);
        foreach (var capture in events)
        {
            if (capture is null)
            {
                continue;
            }

            var item = new JurisdictionEvidence { Kind = "ip", Event = capture.EventName, Ip = capture.Ip, At = capture.At, Database = databaseName };
            if (!IPAddress.TryParse(capture.Ip?.Trim(), out var address))
            {
                evidence.Add(item with { Note = "not an IP address" });
            }
            else if (database is null)
            {
                evidence.Add(item with { Note = "no IP database" });
            }
            else
            {
                var found = database.Lookup(address);
                evidence.Add(item with
                {
                    Country = found.CountryCode,
                    Network = found.Network,
                    Note = found.CountryCode is null ? "the database has no country for this address" : null,
                });
            }
        }

        return evidence;
    }

    /// <summary>The decision over <paramref name="evidence"/> (see the class summary for the precedence).</summary>
    public static ReportJurisdiction Decide(IReadOnlyList<JurisdictionEvidence> evidence, JurisdictionRules rules)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(rules);
        var placed = evidence.Select((e, index) => (Evidence: e, Index: index)).Where(static e => e.Evidence.Country is not null).ToList();
        foreach (var basis in (ReadOnlySpan<string>)[BasisGps, BasisUploadIp, BasisIp])
        {
            var tier = placed.Where(e => TierOf(e.Evidence) == basis).ToList();
            if (tier.Count == 0)
            {
                continue;
            }

            var country = MostFrequent(tier.Select(static e => (e.Evidence.Country!, e.Index)))!;
            var region = MostFrequent(tier.Where(e => e.Evidence.Country == country && e.Evidence.Region is not null).Select(static e => (e.Evidence.Region!, e.Index)));
            var (target, rule) = rules.Route(country, region);
            return new ReportJurisdiction
            {
                Country = country,
                Region = region,
                Queue = target.Queue,
                Agency = target.Agency,
                Basis = basis,
                Rule = rule,
                Conflicts = [.. placed.Select(static e => e.Evidence.Country!).Where(c => c != country).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                Evidence = evidence,
            };
        }

        var (fallback, fallbackRule) = rules.Route(null, null);
        return new ReportJurisdiction { Queue = fallback.Queue, Agency = fallback.Agency, Basis = BasisNone, Rule = fallbackRule, Evidence = evidence };
    }

    /// <summary>An IP event counts as an upload when its name says so (<c>upload</c>, <c>Upload</c>, <c>file-upload</c>...).</summary>
    private static string TierOf(JurisdictionEvidence evidence) =>
        evidence.Kind == "gps" ? BasisGps
        : evidence.Event?.Contains("upload", StringComparison.OrdinalIgnoreCase) == true ? BasisUploadIp
        : BasisIp;

    /// <summary>The most frequent value; a tie goes to the value seen first.</summary>
    private static string? MostFrequent(IEnumerable<(string Value, int Index)> values) =>
        values
            .GroupBy(static v => v.Value, StringComparer.Ordinal)
            .OrderByDescending(static g => g.Count())
            .ThenBy(static g => g.Min(static v => v.Index))
            .Select(static g => g.Key)
            .FirstOrDefault();
}
