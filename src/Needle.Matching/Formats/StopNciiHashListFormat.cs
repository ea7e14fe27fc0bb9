// Format "stopncii": StopNCII hash records, as a JSON array or JSON lines of
// {"signalType":"pdq","hashValue":"...","hashStatus":"Active|Inactive|...","caseNumbers":[...], ...}.
// Assumptions:
// - signalType is any Needle signal type name (pdq, md5, sha1, sha256, photodna), case-insensitive; required.
// - hashStatus "Active" (any case) or absent -> enabled; any other status (Inactive, Deleted, ...) -> disabled, the
//   status kept as metadata "hashStatus".
// - caseNumbers (array of strings/numbers) -> metadata "caseNumbers", comma-joined. "hashId" or "id" -> label,
//   "category" -> category; all other properties -> metadata text (arrays/objects as raw JSON).
// - Record number: array element number (array form) or line number (JSON lines form). In JSON lines a malformed
//   line is a record error (skippable); in the array form broken JSON is fatal.
// - Export writes JSON lines.
using System.Text.Json;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed class StopNciiHashListFormat : IHashListFormat
{
    public string Name => "stopncii";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = Sniff.Text(head);
        if (!(text.StartsWith('[') || text.StartsWith('{')))
        {
            return 0;
        }

        return text.Contains("\"signalType\"", StringComparison.OrdinalIgnoreCase) && text.Contains("\"hashValue\"", StringComparison.OrdinalIgnoreCase) ? 0.9 : 0;
    }

    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        var (head, length, all) = PrefixedStream.Peek(stream, 4096);
        var first = Sniff.Text(head.AsSpan(0, length));
        if (first.StartsWith('['))
        {
            ReadArray(all, collector);
        }
        else
        {
            ReadLines(all, collector);
        }

        return collector.Finish();
    }

    private static void ReadArray(Stream stream, ImportCollector collector)
    {
        var json = new JsonStreamReader(stream, collector);
        json.Read(); // StartArray
        var record = 0;
        while (json.Peek() is not JsonTokenType.EndArray and not JsonTokenType.None)
        {
            using var document = json.ReadDocument();
            collector.BeginRecord(++record);
            ReadRecord(document.RootElement, collector);
            collector.EndRecord();
        }

        json.Read();
        if (json.Read())
        {
            throw collector.Fatal("invalid JSON: data after the closing ]");
        }
    }

    private static void ReadLines(Stream stream, ImportCollector collector)
    {
        using var reader = new BoundedLineReader(stream, collector);
        var documentOptions = new JsonDocumentOptions { MaxDepth = collector.Options.MaxJsonDepth };
        while (reader.TryReadLine(out var line, out var tooLong))
        {
            if (!tooLong && line.AsSpan().Trim().IsEmpty)
            {
                continue;
            }

            collector.BeginRecord(reader.LineNumber);
            if (tooLong)
            {
                collector.Error(null, $"line is longer than {collector.Options.MaxLineLength} characters");
            }
            else
            {
                try
                {
                    using var document = JsonDocument.Parse(line, documentOptions);
                    ReadRecord(document.RootElement, collector);
                }
                catch (JsonException e)
                {
                    collector.Error(null, $"invalid JSON: {e.Message}");
                }
            }

            collector.EndRecord();
        }
    }

    private static void ReadRecord(JsonElement record, ImportCollector collector)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            collector.Error(null, "a record must be a JSON object");
            return;
        }

        string? signalName = null;
        string? hashValue = null;
        string? label = null;
        string? category = null;
        var enabled = true;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in record.EnumerateObject())
        {
            var text = JsonFields.AsText(property.Value);
            switch (property.Name.ToUpperInvariant())
            {
                case "SIGNALTYPE":
                    signalName = text;
                    break;
                case "HASHVALUE":
                    hashValue = text;
                    break;
                case "HASHID" or "ID":
                    label = text;
                    break;
                case "CATEGORY":
                    category = text;
                    break;
                case "HASHSTATUS":
                    if (text is not null && !text.Equals("Active", StringComparison.OrdinalIgnoreCase))
                    {
                        enabled = false;
                        metadata["hashStatus"] = text;
                    }

                    break;
                case "CASENUMBERS" when property.Value.ValueKind == JsonValueKind.Array:
                    var numbers = new List<string>();
                    foreach (var number in property.Value.EnumerateArray())
                    {
                        if (JsonFields.AsText(number) is { } n)
                        {
                            numbers.Add(n);
                        }
                    }

                    metadata["caseNumbers"] = string.Join(',', numbers);
                    break;
                default:
                    if (text is not null)
                    {
                        metadata[property.Name] = text;
                    }

                    break;
            }
        }

        if (string.IsNullOrWhiteSpace(signalName))
        {
            collector.Error("signalType", "is missing");
            return;
        }

        if (!SignalTypes.TryGet(signalName, out var type))
        {
            collector.Error("signalType", $"'{signalName}' is not a known signal type (pdq, md5, sha1, sha256, photodna)");
            return;
        }

        collector.AddHash(type, hashValue, "hashValue", (t, v) => new HashListEntry(t, v)
        {
            Label = label,
            Category = category,
            Enabled = enabled,
            Source = collector.DefaultSource ?? "stopncii",
            Metadata = metadata,
        });
    }

    public void Write(HashList list, Stream stream)
    {
        var writer = new Utf8JsonWriter(stream);
        foreach (var entry in list.Entries)
        {
            writer.Reset(stream);
            writer.WriteStartObject();
            writer.WriteString("signalType", entry.SignalType.Name);
            writer.WriteString("hashValue", entry.Value);
            var status = entry.Enabled ? "Active" : entry.Metadata.TryGetValue("hashStatus", out var s) ? s : "Inactive";
            writer.WriteString("hashStatus", status);
            if (entry.Label is { } label)
            {
                writer.WriteString("hashId", label);
            }

            if (entry.Category is { } category)
            {
                writer.WriteString("category", category);
            }

            foreach (var (key, value) in entry.Metadata)
            {
                if (key == "hashStatus")
                {
                    continue;
                }

                if (key == "caseNumbers")
                {
                    writer.WriteStartArray(key);
                    foreach (var number in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        writer.WriteStringValue(number);
                    }

                    writer.WriteEndArray();
                    continue;
                }

                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
        }

        writer.Dispose();
    }
}
