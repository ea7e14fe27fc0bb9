using System.Globalization;
using Needle.Cli.Commands;
using Needle.Matching.Lists;

namespace Needle.Cli.Output;

/// <summary>The totals printed after a scan.</summary>
internal sealed record ScanSummary(int Files, int Matched, int Allowed, int Unknown, int Errors, int Series, int ListEntries, TimeSpan Elapsed)
{
    public static ScanSummary From(IReadOnlyList<ScannedFile> files, SeriesAssignment series, IReadOnlyList<HashList> lists, TimeSpan elapsed, long compiledEntries = 0)
    {
        int matched = 0, allowed = 0, unknown = 0, errors = 0;
        foreach (var file in files)
        {
            switch (file.Status)
            {
                case "match":
                    matched++;
                    break;
                case "allowed":
                    allowed++;
                    break;
                case "error":
                    errors++;
                    break;
                default:
                    unknown++;
                    break;
            }
        }

        var entries = (int)Math.Min(int.MaxValue, compiledEntries);
        foreach (var list in lists)
        {
            entries += list.Count;
        }

        return new ScanSummary(files.Count, matched, allowed, unknown, errors, series.Members.Count, entries, elapsed);
    }

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"scanned {Files} files: {Matched} matched, {Allowed} allowed, {Unknown} unknown, {Errors} errors; {Series} series of near-duplicates; {ListEntries} list entries; {Elapsed.TotalSeconds:F1} s");
}
