using System.Globalization;
using System.Net;
using System.Text;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;

namespace Needle.Application.Cases;

/// <summary>summary.html: the package's content as a printable page (no script, no media, every value escaped).</summary>
internal static class PackageSummary
{
    public static string Render(PackageDocument document)
    {
        var r = document.Report;
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Needle report export</title>
            <style>
            body{font:11pt/1.4 system-ui,sans-serif;margin:2em;color:#111}
            table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
            th,td{border:1px solid #666;padding:.25em .4em;text-align:left;vertical-align:top;font-size:10pt}
            td.h{font-family:ui-monospace,monospace;word-break:break-all}
            h1{font-size:16pt}h2{font-size:13pt;margin-top:1.5em}
            @media print{body{margin:0}h2{break-after:avoid}tr{break-inside:avoid}}
            </style></head><body>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<h1>Report {E(r.Id.ToString())}</h1>\n<table>");
        Row(html, "External id", r.Submission.ExternalId);
        Row(html, "Received", Time(r.ReceivedAt));
        Row(html, "Processed", r.ProcessedAt is { } p ? Time(p) : null);
        Row(html, "Escalated", r.Submission.Escalate ? "yes" + (r.Submission.EscalationReason is { } why ? ": " + why : string.Empty) : "no");
        Row(html, "Reporter", r.Submission.Reporter?.Organisation);
        Row(html, "Exported", $"{Time(document.ExportedAt)} by {document.ExportedBy}");
        Row(html, "Assigned to", document.Assignment?.AssignedTo);
        Row(html, "Score", document.Score is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.Value:0.#} ({string.Join("; ", s.Reasons.Select(x => x.Text))})") : null);
        html.Append("</table>\n");

        html.Append("<h2>Jurisdiction</h2>\n");
        if (r.Jurisdiction is { } j)
        {
            html.Append("<table>");
            Row(html, "Queue", j.Queue);
            Row(html, "Country", j.Country);
            Row(html, "Region", j.Region);
            Row(html, "Agency", j.Agency);
            Row(html, "Basis", j.Basis);
            html.Append("</table>\n<table><tr><th>Evidence</th><th>Country</th><th>Detail</th></tr>");
            foreach (var evidence in j.Evidence)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(evidence.Kind)}</td><td>{E(evidence.Country)} {E(evidence.Region)}</td><td>{E(Detail(evidence))}</td></tr>");
            }

            html.Append("</table>\n");
        }
        else
        {
            html.Append("<p>None decided.</p>\n");
        }

        html.Append("<h2>Files</h2>\n<table><tr><th>#</th><th>Name</th><th>State</th><th>Hashes</th><th>Clues</th><th>Matches (exporting server)</th><th>Media</th></tr>");
        foreach (var f in r.Files)
        {
            var hashes = string.Join("<br>", new[] { ("MD5", f.Md5 ?? f.ReporterHashes?.Md5), ("SHA-1", f.Sha1 ?? f.ReporterHashes?.Sha1), ("SHA-256", f.Sha256 ?? f.ReporterHashes?.Sha256), ("PDQ", f.Pdq ?? f.ReporterHashes?.Pdq) }
                .Where(h => h.Item2 is not null).Select(h => $"{h.Item1} {E(h.Item2)}"));
            if (f.PdqQuality is { } q)
            {
                hashes += string.Create(CultureInfo.InvariantCulture, $"<br>PDQ quality {q}");
            }

            var clues = new List<string>();
            if (f.Clues?.Gps is { } gps)
            {
                clues.Add(string.Create(CultureInfo.InvariantCulture, $"GPS {gps.Latitude:0.#####}, {gps.Longitude:0.#####} {gps.Country}"));
            }

            if (f.Clues?.Captured is { } captured)
            {
                clues.Add("captured " + captured);
            }

            var matches = string.Join("<br>", f.Matches.Select(m => string.Create(CultureInfo.InvariantCulture, $"{E(m.ListName)} #{m.EntryId} {E(m.Label)} ({E(m.SignalType)}, {m.Distance})")));
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{f.Ordinal + 1}</td><td>{E(f.OriginalName)}</td><td>{E(State(f))}</td><td class=\"h\">{hashes}</td><td>{E(string.Join("; ", clues))}</td><td>{matches}</td><td>{(document.Media.ContainsKey(f.Id) ? "encrypted in package" : "not included")}</td></tr>");
        }

        html.Append("</table>\n<h2>Decisions</h2>\n<table><tr><th>File</th><th>Category</th><th>Source</th><th>By</th><th>At</th><th>Note</th></tr>");
        var ordinals = r.Files.ToDictionary(f => f.Id, f => f.Ordinal + 1);
        foreach (var d in document.Decisions)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{ordinals.GetValueOrDefault(d.FileId)}</td><td>{(int)d.Category} {E(d.Category.ToString())}</td><td>{E(d.Source.ToString())}</td><td>{E(d.Actor)}</td><td>{Time(d.At)}</td><td>{E(d.Note)}</td></tr>");
        }

        html.Append("</table>\n<h2>Outcomes</h2>\n<table><tr><th>Outcome</th><th>Recipient</th><th>By</th><th>At</th><th>Note</th></tr>");
        foreach (var o in document.Outcomes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(o.Kind.ToString())}</td><td>{E(o.Recipient)}</td><td>{E(o.Actor)}</td><td>{Time(o.At)}</td><td>{E(o.Note)}</td></tr>");
        }

        html.Append("</table>\n<h2>Notes</h2>\n<table><tr><th>By</th><th>At</th><th>Note</th></tr>");
        foreach (var n in document.Notes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(n.Author)}</td><td>{Time(n.At)}</td><td>{E(n.Text)}</td></tr>");
        }

        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    private static string Detail(JurisdictionEvidence evidence)
    {
        var parts = new List<string?> { evidence.Ip, evidence.Event, evidence.OriginalName, evidence.Network, evidence.Note };
        if (evidence.Lat is { } lat && evidence.Lon is { } lon)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{lat:0.#####}, {lon:0.#####}"));
        }

        if (evidence.At is { } at)
        {
            parts.Add(Time(at));
        }

        return string.Join("; ", parts.Where(p => !string.IsNullOrEmpty(p)));
    }

    private static string State(StoredFile file) => file.State switch
    {
        FileState.HashesOnly => "hashes only",
        FileState.Unreadable => "unreadable: " + file.Error,
        FileState.Hashed => file.Format ?? "hashed",
        _ => file.State.ToString(),
    };

    private static void Row(StringBuilder html, string name, string? value) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>");

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
