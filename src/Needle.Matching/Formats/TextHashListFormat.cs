// Format "text": one hash per line.
// Assumptions:
// - Without ImportOptions.SignalType every line is a PDQ hash. A 64-hex line is ambiguous between PDQ and SHA-256,
//   so PDQ is the default and SHA-256 (like MD5 and SHA-1, and PhotoDNA) must be forced. A 32- or 40-hex line in
//   an unforced import is an error that says which type to force.
// - Blank lines and lines starting with '#' are ignored; surrounding whitespace is trimmed; CRLF accepted.
// - Entries get no label; Source is the file name.
// - Export needs all entries of one signal type (the file cannot say which); disabled entries become
//   "# disabled: value" comments.
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed class TextHashListFormat : IHashListFormat
{
    public string Name => "text";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var lines = Sniff.ContentLines(Sniff.Text(head), 20);
        if (lines.Count == 0)
        {
            return 0;
        }

        // A damaged list must still be recognised, so that its bad lines get record numbers instead of the whole
        // file being "of unknown format": most lines being bare hex hashes is enough.
        var valid = 0;
        foreach (var line in lines)
        {
            if (line.Length is 32 or 40 or 64 && HexKeys.IsHex(line))
            {
                valid++;
            }
        }

        if (valid == lines.Count)
        {
            return 0.6;
        }

        return valid * 2 >= lines.Count ? 0.55 : 0;
    }

    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        var type = options.SignalType ?? SignalTypes.Pdq;
        using var reader = new BoundedLineReader(stream, collector);
        while (reader.TryReadLine(out var line, out var tooLong))
        {
            var trimmed = line.Trim();
            if (!tooLong && (trimmed.Length == 0 || trimmed[0] == '#'))
            {
                continue;
            }

            collector.BeginRecord(reader.LineNumber);
            if (tooLong)
            {
                collector.Error(null, $"line is longer than {options.MaxLineLength} characters");
            }
            else if (options.SignalType is null && trimmed.Length is 32 or 40 && HexKeys.IsHex(trimmed))
            {
                collector.Error("hash", $"looks like {(trimmed.Length == 32 ? "MD5" : "SHA-1")}, not PDQ; import with the signal type set to {(trimmed.Length == 32 ? "md5" : "sha1")}");
            }
            else
            {
                collector.AddHash(type, trimmed, "hash", (t, value) => new HashListEntry(t, value) { Source = collector.DefaultSource });
            }

            collector.EndRecord();
        }

        return collector.Finish();
    }

    public void Write(HashList list, Stream stream)
    {
        var entries = list.Entries;
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        SignalType? type = null;
        foreach (var entry in entries)
        {
            type ??= entry.SignalType;
            if (entry.SignalType != type)
            {
                throw new NotSupportedException($"The text format holds one signal type per file; '{list.Name}' mixes {type.Name} and {entry.SignalType.Name}. Use the needle format.");
            }
        }

        writer.WriteLine($"# {list.Name}: {type?.Name ?? "pdq"} hashes, one per line");
        foreach (var entry in entries)
        {
            writer.WriteLine(entry.Enabled ? entry.Value : "# disabled: " + entry.Value);
        }
    }
}
