// Format "icse": INTERPOL ICSE CSV export.
// Assumptions:
// - Semicolon-separated, header required on the first non-blank line; columns are matched by name, case- and
//   space-insensitively: MD5, SHA1, PhotoDNA (and PDQ, SHA256 if present), Image ID (label), Category or
//   Classification (category). Every other column (Is distributed, Victim identified, Offender identified,
//   Series name, ...) is kept as metadata under its header name; empty cells are not stored.
// - Fields may be quoted with "" escapes and may span lines; the record number is the line the record starts on.
// - A row needs at least one hash and must not have more fields than the header (fewer are padded as empty).
// - Export writes the standard header, then PDQ/SHA256 columns only when used, then the other metadata keys in
//   first-seen order. Entries sharing an Image ID form one row. ICSE has no "disabled": disabled entries are skipped.
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed class IcseHashListFormat : IHashListFormat
{
    private static readonly string[] StandardHeader =
        ["MD5", "SHA1", "PhotoDNA", "Image ID", "Is distributed", "Victim identified", "Offender identified", "Series name"];

    public string Name => "icse";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var lines = Sniff.ContentLines(Sniff.Text(head), 1);
        if (lines.Count == 0 || !lines[0].Contains(';', StringComparison.Ordinal))
        {
            return 0;
        }

        var header = lines[0].ToUpperInvariant();
        var score = 0.0;
        if (header.Contains("MD5", StringComparison.Ordinal) || header.Contains("SHA1", StringComparison.Ordinal) || header.Contains("PHOTODNA", StringComparison.Ordinal))
        {
            score = 0.7;
        }

        if (score > 0 && header.Contains("IMAGE ID", StringComparison.Ordinal))
        {
            score = 0.95;
        }

        return score;
    }

    private enum Column
    {
        Metadata,
        Hash,
        Label,
        Category,
    }

    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        using var reader = new BoundedLineReader(stream, collector);
        var fields = new List<string>();
        string[]? header = null;
        (Column Kind, SignalType? Type)[] columns = [];
        while (reader.TryReadLine(out var line, out var tooLong))
        {
            var start = reader.LineNumber;
            if (tooLong)
            {
                if (header is null)
                {
                    throw collector.Fatal($"the header line is longer than {options.MaxLineLength} characters");
                }

                collector.BeginRecord(start);
                collector.Error(null, $"line is longer than {options.MaxLineLength} characters");
                collector.EndRecord();
                continue;
            }

            if (line.AsSpan().Trim().IsEmpty)
            {
                continue;
            }

            var record = line;
            while (DelimitedText.HasOpenQuote(record) && record.Length < options.MaxLineLength && reader.TryReadLine(out var more, out _))
            {
                record += "\n" + more;
            }

            if (header is null)
            {
                if (!DelimitedText.TrySplit(record, ';', fields, out var headerError))
                {
                    throw collector.Fatal($"header: {headerError}");
                }

                header = [.. fields.Select(static f => f.Trim())];
                columns = [.. header.Select(ClassifyColumn)];
                var hasHash = false;
                foreach (var column in columns)
                {
                    hasHash |= column.Kind == Column.Hash;
                }

                if (!hasHash)
                {
                    throw collector.Fatal("the header names no MD5, SHA1 or PhotoDNA column; is this an ICSE export?");
                }

                continue;
            }

            collector.BeginRecord(start);
            if (!DelimitedText.TrySplit(record, ';', fields, out var error))
            {
                collector.Error(null, error!);
                collector.EndRecord();
                continue;
            }

            if (fields.Count > header.Length)
            {
                collector.Error(null, $"{fields.Count} fields but the header has {header.Length}");
                collector.EndRecord();
                continue;
            }

            string? label = null;
            string? category = null;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < fields.Count; i++)
            {
                var value = fields[i].Trim();
                if (value.Length == 0)
                {
                    continue;
                }

                switch (columns[i].Kind)
                {
                    case Column.Label:
                        label = value;
                        break;
                    case Column.Category:
                        category = value;
                        break;
                    case Column.Metadata:
                        metadata[header[i]] = value;
                        break;
                }
            }

            var hashes = 0;
            for (var i = 0; i < fields.Count; i++)
            {
                if (columns[i] is { Kind: Column.Hash, Type: { } type } && fields[i].Trim().Length > 0)
                {
                    hashes++;
                    collector.AddHash(type, fields[i], header[i], (t, v) => new HashListEntry(t, v)
                    {
                        Label = label,
                        Category = category,
                        Source = collector.DefaultSource ?? "icse",
                        Metadata = metadata,
                    });
                }
            }

            if (hashes == 0)
            {
                collector.Error(null, "the row has no MD5, SHA1 or PhotoDNA value");
            }

            collector.EndRecord();
        }

        if (header is null)
        {
            throw collector.Fatal("the file is empty; an ICSE export starts with a header line");
        }

        return collector.Finish();
    }

    private static (Column, SignalType?) ClassifyColumn(string name)
    {
        var key = name.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        return key switch
        {
            "MD5" => (Column.Hash, SignalTypes.Md5),
            "SHA1" or "SHA-1" => (Column.Hash, SignalTypes.Sha1),
            "SHA256" or "SHA-256" => (Column.Hash, SignalTypes.Sha256),
            "PHOTODNA" => (Column.Hash, SignalTypes.PhotoDna),
            "PDQ" => (Column.Hash, SignalTypes.Pdq),
            "IMAGEID" => (Column.Label, null),
            "CATEGORY" or "CLASSIFICATION" => (Column.Category, null),
            _ => (Column.Metadata, null),
        };
    }

    public void Write(HashList list, Stream stream)
    {
        var rows = EntryRows.Group(list.Entries, enabledOnly: true);
        var usesPdq = false;
        var usesSha256 = false;
        var usesCategory = false;
        var extra = new List<string>();
        var known = new HashSet<string>(StandardHeader, StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            usesPdq |= row.Values.ContainsKey(SignalTypes.Pdq);
            usesSha256 |= row.Values.ContainsKey(SignalTypes.Sha256);
            usesCategory |= row.First.Category is not null;
            foreach (var key in row.First.Metadata.Keys)
            {
                if (known.Add(key))
                {
                    extra.Add(key);
                }
            }
        }

        var header = new List<string>(StandardHeader);
        if (usesPdq)
        {
            header.Add("PDQ");
        }

        if (usesSha256)
        {
            header.Add("SHA256");
        }

        if (usesCategory)
        {
            header.Add("Category");
        }

        header.AddRange(extra);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n" };
        writer.WriteLine(string.Join(';', header.Select(static h => DelimitedText.Escape(h, ';'))));
        var cells = new string[header.Count];
        foreach (var row in rows)
        {
            for (var i = 0; i < header.Count; i++)
            {
                var (kind, type) = ClassifyColumn(header[i]);
                cells[i] = DelimitedText.Escape(
                    kind switch
                    {
                        Column.Hash => row.Values.TryGetValue(type!, out var entry) ? entry.Value : null,
                        Column.Label => row.Label,
                        Column.Category => row.First.Category,
                        _ => row.First.Metadata.TryGetValue(header[i], out var value) ? value : null,
                    },
                    ';');
            }

            writer.WriteLine(string.Join(';', cells));
        }
    }
}
