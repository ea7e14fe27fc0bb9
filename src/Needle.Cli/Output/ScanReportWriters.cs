using System.Globalization;
using System.Text;
using Needle.Cli.Commands;
using Needle.Matching.Lists;

namespace Needle.Cli.Output;

/// <summary>CSV, JSON lines and HTML renderings of a scan.</summary>
internal static class ScanReportWriters
{
    /// <summary>One row per match (a file with no match gets one row with the match columns empty).</summary>
    public static void WriteCsv(TextWriter output, IReadOnlyList<ScannedFile> files, SeriesAssignment series)
    {
        output.WriteLine("path,status,pdq,quality,md5,list,label,category,signal,matched,distance,transform,frame,series,error," + ClueWriters.CsvHeader);
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var prefix = string.Join(',',
                Csv(file.Hashes.Path),
                file.Status,
                file.Hashes.Pdq?.Hash.ToString() ?? "",
                file.Hashes.Pdq?.Quality.ToString(CultureInfo.InvariantCulture) ?? "",
                file.Hashes.Md5 ?? "");
            var suffix = string.Join(',',
                series.SeriesOf(i) == 0 ? "" : series.SeriesOf(i).ToString(CultureInfo.InvariantCulture),
                Csv(file.Hashes.Error ?? ""),
                ClueWriters.CsvColumns(file.Clues, Csv));
            var shown = Shown(file);
            if (shown.Count == 0)
            {
                output.WriteLine($"{prefix},,,,,,,,,{suffix}");
                continue;
            }

            foreach (var match in shown)
            {
                output.WriteLine(string.Join(',',
                    prefix,
                    Csv(match.ListName),
                    Csv(match.Entry.Label ?? ""),
                    Csv(match.Entry.Category ?? ""),
                    match.SignalType.Name,
                    match.MatchedValue,
                    match.Distance.ToString(CultureInfo.InvariantCulture),
                    Csv(match.TransformName),
                    match.Frame?.ToString(CultureInfo.InvariantCulture) ?? "",
                    suffix));
            }
        }
    }

    /// <summary>One JSON object per file, matches nested.</summary>
    public static void WriteJsonLines(TextWriter output, IReadOnlyList<ScannedFile> files, SeriesAssignment series)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            buffer.ResetWrittenCount();
            using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("path", file.Hashes.Path);
                json.WriteString("status", file.Status);
                if (file.Hashes.Error is { } error)
                {
                    json.WriteString("error", error);
                }

                if (file.Hashes.Pdq is { } pdq)
                {
                    json.WriteString("pdq", pdq.Hash.ToString());
                    json.WriteNumber("quality", pdq.Quality);
                }

                WriteIfPresent(json, "md5", file.Hashes.Md5);
                WriteIfPresent(json, "sha1", file.Hashes.Sha1);
                WriteIfPresent(json, "sha256", file.Hashes.Sha256);
                if (series.SeriesOf(i) != 0)
                {
                    json.WriteNumber("series", series.SeriesOf(i));
                    json.WriteNumber("series_size", series.SizeOf(series.SeriesOf(i)));
                }

                json.WriteStartArray("matches");
                foreach (var match in file.Match?.Matches ?? [])
                {
                    WriteMatch(json, match);
                }

                json.WriteEndArray();
                if (file.Match is { AllowedBy.Count: > 0 } allowed)
                {
                    json.WriteStartArray("allowed_by");
                    foreach (var match in allowed.AllowedBy)
                    {
                        WriteMatch(json, match);
                    }

                    json.WriteEndArray();
                    json.WriteStartArray("suppressed_matches");
                    foreach (var match in allowed.SuppressedMatches)
                    {
                        WriteMatch(json, match);
                    }

                    json.WriteEndArray();
                }

                if (file.Clues is { } clues)
                {
                    ClueWriters.WriteJson(json, clues);
                }

                json.WriteEndObject();
            }

            output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
    }

    /// <summary>
    /// One self-contained HTML file: no scripts, fonts or images from anywhere, and no media shown (the report lists
    /// paths and hashes only, so reading it exposes nobody to the material).
    /// </summary>
    public static void WriteHtml(TextWriter output, IReadOnlyList<ScannedFile> files, SeriesAssignment series, ScanSummary summary)
    {
        static string E(string? text) => System.Net.WebUtility.HtmlEncode(text ?? "");
        output.WriteLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Needle scan report</title>");
        output.WriteLine("<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f2f2f2}"
            + ".match{background:#fde2e1}.allowed{background:#e6f4ea}.error{background:#fff4d6}code{font-size:12px}</style></head><body>");
        output.WriteLine("<h1>Needle scan report</h1>");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"<p>{summary.Files} files scanned in {summary.Elapsed.TotalSeconds:F1} s against {summary.ListEntries} list entries: "
            + $"<strong>{summary.Matched} matched</strong>, {summary.Allowed} allowed, {summary.Unknown} unknown, {summary.Errors} errors, {summary.Series} series.</p>"));

        output.WriteLine("<h2>Matches</h2><table><tr><th>File</th><th>List</th><th>Label</th><th>Category</th><th>Signal</th><th>Distance</th><th>Transform</th><th>Frame</th></tr>");
        for (var i = 0; i < files.Count; i++)
        {
            foreach (var match in files[i].Match?.Matches ?? [])
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"<tr class=\"match\"><td>{E(files[i].Hashes.Path)}</td><td>{E(match.ListName)}</td><td>{E(match.Entry.Label)}</td><td>{E(match.Entry.Category)}</td><td>{E(match.SignalType.Name)}</td><td>{match.Distance}</td><td>{E(match.TransformName)}</td><td>{match.Frame}</td></tr>"));
            }
        }

        output.WriteLine("</table>");
        if (series.Members.Count > 0)
        {
            output.WriteLine("<h2>Series of near-duplicates</h2>");
            for (var s = 0; s < series.Members.Count; s++)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"<h3>Series {s + 1} ({series.Members[s].Count} files)</h3><ul>"));
                foreach (var member in series.Members[s])
                {
                    output.WriteLine($"<li>{E(files[member].Hashes.Path)} <em>({E(files[member].Status)})</em></li>");
                }

                output.WriteLine("</ul>");
            }
        }

        output.WriteLine("<h2>All files</h2><table><tr><th>File</th><th>Status</th><th>PDQ</th><th>Quality</th><th>MD5</th><th>Series</th><th>Error</th></tr>");
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var seriesNumber = series.SeriesOf(i);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"<tr class=\"{E(file.Status)}\"><td>{E(file.Hashes.Path)}</td><td>{E(file.Status)}</td><td><code>{E(file.Hashes.Pdq?.Hash.ToString())}</code></td>"
                + $"<td>{file.Hashes.Pdq?.Quality}</td><td><code>{E(file.Hashes.Md5)}</code></td><td>{(seriesNumber == 0 ? "" : seriesNumber)}</td><td>{E(file.Hashes.Error)}</td></tr>"));
        }

        output.WriteLine("</table>");
        WriteHtmlClues(output, files);
        output.WriteLine("</body></html>");
    }

    /// <summary>Files whose metadata gives a clue: where, when, which camera, and a thumbnail showing another picture.</summary>
    private static void WriteHtmlClues(TextWriter output, IReadOnlyList<ScannedFile> files)
    {
        static string E(string? text) => System.Net.WebUtility.HtmlEncode(text ?? "");
        var withClues = files.Where(f => f.Clues is { } c && (c.Metadata.HasClues || c.Metadata.MetadataError is not null)).ToList();
        if (withClues.Count == 0)
        {
            return;
        }

        output.WriteLine("<h2>Clues from metadata</h2><table><tr><th>File</th><th>GPS (country, region)</th><th>Captured</th><th>Camera</th><th>EXIF thumbnail</th><th>Metadata error</th></tr>");
        foreach (var file in withClues)
        {
            var (where, when, camera, thumbnail) = ClueWriters.Summary(file.Clues!);
            var rowClass = file.Clues!.ThumbnailDiffers == true ? " class=\"match\"" : "";
            output.WriteLine($"<tr{rowClass}><td>{E(file.Hashes.Path)}</td><td>{E(where)}</td><td>{E(when)}</td><td>{E(camera)}</td><td>{E(thumbnail)}</td><td>{E(file.Clues.Metadata.MetadataError)}</td></tr>");
        }

        output.WriteLine("</table>");
    }

    private static IReadOnlyList<ListMatch> Shown(ScannedFile file) => file.Match switch
    {
        null => [],
        { Status: MatchStatus.Allowed } allowed => allowed.AllowedBy,
        var match => match.Matches,
    };

    private static void WriteMatch(System.Text.Json.Utf8JsonWriter json, ListMatch match)
    {
        json.WriteStartObject();
        json.WriteString("list", match.ListName);
        json.WriteString("label", match.Entry.Label);
        WriteIfPresent(json, "category", match.Entry.Category);
        WriteIfPresent(json, "source", match.Entry.Source);
        json.WriteString("signal", match.SignalType.Name);
        json.WriteString("hash", match.MatchedValue);
        json.WriteNumber("distance", match.Distance);
        json.WriteString("transform", match.TransformName);
        if (match.Robust is { } robust)
        {
            json.WriteStartObject("robust");
            json.WriteNumber("inliers", robust.Inliers);
            json.WriteNumber("rotation", robust.RotationDegrees);
            json.WriteNumber("scale", robust.Scale);
            json.WriteBoolean("mirrored", robust.Mirrored);
            json.WriteStartArray("crop");
            json.WriteNumberValue(robust.CropX);
            json.WriteNumberValue(robust.CropY);
            json.WriteNumberValue(robust.CropWidth);
            json.WriteNumberValue(robust.CropHeight);
            json.WriteEndArray();
            json.WriteNumber("similarity", robust.Similarity);
            json.WriteEndObject();
        }

        if (match.Frame is { } frame)
        {
            json.WriteNumber("frame", frame);
        }
        if (match.Entry.Metadata.Count > 0)
        {
            json.WriteStartObject("metadata");
            foreach (var (key, value) in match.Entry.Metadata)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteIfPresent(System.Text.Json.Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    /// <summary>RFC 4180 quoting where needed.</summary>
    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
