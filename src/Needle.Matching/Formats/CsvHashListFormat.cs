// Format "csv": the CSV `needle hash` prints, one file per line: `hash,quality,path`.
// Assumptions (the description is silent on these):
// - No header, but a first line whose first field is "hash" or "pdq" is taken as a header and skipped.
// - Blank lines and lines starting with '#' are ignored; CRLF and LF both end lines.
// - The path is everything after the second comma. If it starts with a quote it is RFC 4180 quoted (and may span
//   lines); otherwise it is taken verbatim, so unquoted paths with commas still import.
// - quality is an integer 0..100 and may be empty; it is kept as metadata "quality". The path becomes the label.
// - Export writes PDQ entries only (throws for other types rather than dropping them silently); disabled entries are
//   written as "# disabled: ..." comment lines so they are visible but never re-imported as active.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed partial class CsvHashListFormat : IHashListFormat
{
    public string Name => "csv";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var lines = Sniff.ContentLines(Sniff.Text(head), 5);
        if (lines.Count == 0)
        {
            return 0;
        }

        if (lines[0].StartsWith("hash,quality", StringComparison.OrdinalIgnoreCase))
        {
            return 0.95;
        }

        return HashLine().IsMatch(lines[0]) ? 0.9 : 0;
    }

    /// <summary>The qualities 0 to 100 as text, made once rather than per entry.</summary>
    private static readonly string[] QualityText = [.. Enumerable.Range(0, 101).Select(static q => q.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The same as UTF-8.</summary>
    private static readonly byte[][] QualityUtf8 = [.. QualityText.Select(static q => Encoding.UTF8.GetBytes(q))];

    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        using var reader = new BoundedLineReader(stream, collector);
        var fields = new List<string>();
        var sawContent = false;
        var row = options.RowSink is null || options.EntrySink is not null ? null : new ImportRow();
        var sourceUtf8 = collector.DefaultSource is { } source ? Encoding.UTF8.GetBytes(source) : null;
        while (reader.TryReadLineChars(out var line, out var tooLong))
        {
            var lineNumber = reader.LineNumber;
            if (tooLong)
            {
                collector.BeginRecord(lineNumber);
                collector.Error(null, $"line is longer than {options.MaxLineLength} characters");
                collector.EndRecord();
                continue;
            }

            var trimmed = line.Trim();
            if (trimmed.IsEmpty || trimmed[0] == '#')
            {
                continue;
            }

            var first = !sawContent;
            sawContent = true;
            var firstComma = line.IndexOf(',');
            var firstField = (firstComma < 0 ? line : line[..firstComma]).Trim();
            if (first && (firstField.Equals("hash", StringComparison.OrdinalIgnoreCase) || firstField.Equals("pdq", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            collector.BeginRecord(lineNumber);
            if (firstComma < 0)
            {
                collector.Error(null, "expected hash,quality,path");
                collector.EndRecord();
                continue;
            }

            var rest = line[(firstComma + 1)..];
            var secondComma = rest.IndexOf(',');
            var qualityText = (secondComma < 0 ? rest : rest[..secondComma]).Trim();
            var pathChars = secondComma < 0 ? ReadOnlySpan<char>.Empty : rest[(secondComma + 1)..];
            string? path;
            string? hash = null;
            string? qualityString = null;
            if (pathChars.StartsWith('"'))
            {
                // Reading on invalidates the line's characters: what is still needed becomes strings first.
                hash = firstField.ToString();
                qualityString = qualityText.ToString();
                path = pathChars.ToString();
                while (DelimitedText.HasOpenQuote(path) && path.Length < options.MaxLineLength && reader.TryReadLine(out var more, out _))
                {
                    path += "\n" + more;
                }

                if (!DelimitedText.TrySplit(path, '\0', fields, out var quoteError) || fields.Count != 1)
                {
                    collector.Error("path", quoteError ?? "malformed quoted path");
                    collector.EndRecord();
                    continue;
                }

                path = fields[0];
                firstField = hash;
                qualityText = qualityString;
            }
            else
            {
                // Made a string only if the line is not read straight into a row.
                path = null;
            }

            var quality = -1;
            if (qualityText.Length > 0 && (!int.TryParse(qualityText, NumberStyles.None, CultureInfo.InvariantCulture, out quality) || quality > 100))
            {
                collector.Error("quality", $"'{qualityText}' is not a whole number from 0 to 100");
                collector.EndRecord();
                continue;
            }

            if (row is not null && path is null && TryReadRow(firstField, pathChars, quality, sourceUtf8, row))
            {
                collector.AddRow(row);
                collector.EndRecord();
                continue;
            }

            path ??= pathChars.IsEmpty ? string.Empty : pathChars.ToString();
            var metadata = new Dictionary<string, string>();
            if (quality >= 0)
            {
                metadata["quality"] = QualityText[quality];
            }

            if (collector.TryNormalize(SignalTypes.Pdq, firstField, "hash", out var normalized))
            {
                collector.Add(new HashListEntry(SignalTypes.Pdq, normalized)
                {
                    Label = path.Length == 0 ? null : path,
                    Source = collector.DefaultSource,
                    Metadata = metadata,
                });
            }

            collector.EndRecord();
        }

        return collector.Finish();
    }

    /// <summary>
    /// An unquoted line whose hash is plain hex of a PDQ hash (not all zero), read straight into <paramref name="row"/>
    /// as the entry the general way makes of it; false for anything else (the general way then reads it).
    /// </summary>
    private static bool TryReadRow(ReadOnlySpan<char> hash, ReadOnlySpan<char> path, int quality, byte[]? source, ImportRow row)
    {
        Span<byte> hex = stackalloc byte[PdqHash.HexLength];
        if (hash.Length != PdqHash.HexLength)
        {
            return false;
        }

        var any = false;
        for (var i = 0; i < hash.Length; i++)
        {
            var c = hash[i];
            if (char.IsAsciiHexDigitUpper(c))
            {
                c = (char)(c | 0x20);
            }

            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c))
            {
                return false;
            }

            any |= c != '0';
            hex[i] = (byte)c;
        }

        if (!any)
        {
            // The all-zero hash: the general way warns and skips it.
            return false;
        }

        row.Reset(SignalTypes.Pdq);
        row.SetCanonicalValue(hex);
        if (!path.IsEmpty)
        {
            Span<byte> label = path.Length <= 256 ? stackalloc byte[path.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(path.Length)];
            row.SetLabel(label[..Encoding.UTF8.GetBytes(path, label)]);
        }

        if (source is not null)
        {
            row.SetSource(source);
        }

        if (quality >= 0)
        {
            row.TryAddMetadata("quality"u8, QualityUtf8[quality]);
        }

        return true;
    }

    public void Write(HashList list, Stream stream)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        foreach (var entry in list.Entries)
        {
            if (entry.SignalType != SignalTypes.Pdq)
            {
                throw new NotSupportedException($"The csv format holds PDQ hashes only; entry {entry.Id} of '{list.Name}' is {entry.SignalType.Name}. Use the needle format.");
            }

            var quality = entry.Metadata.TryGetValue("quality", out var q) ? q : string.Empty;
            var line = $"{entry.Value},{quality},{DelimitedText.Escape(entry.Label, ',')}";
            writer.WriteLine(entry.Enabled ? line : "# disabled: " + line);
        }
    }

    [GeneratedRegex("^[0-9a-fA-F]{64},[0-9]{0,3}(,|$)")]
    private static partial Regex HashLine();
}
