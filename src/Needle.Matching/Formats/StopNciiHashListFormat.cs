// Format "stopncii": StopNCII hash records: the FetchHashes response object
// {"count","nextPageToken","nextSetTimestamp","hasMoreRecords","hashRecords":[...]} (pretty-printed or compact), a JSON
// array of records, or JSON lines of records {"signalType":"ImagePDQ","hashValue":"...","hashStatus":"Received", ...}.
// Assumptions:
// - signalType: StopNCII's ImagePDQ (-> pdq) and VideoMD5 (-> md5 of a video, metadata mediaType=video), HMA's
//   video_md5, or any Needle signal type name, case-insensitive; required. StopNCII's other types (VideoTMK, Text, URL,
//   Unknown) cannot be matched by Needle: skipped with a warning, not an error.
// - hashStatus: Received (StopNCII's first state), Active or absent -> enabled; Withdrawn or Deleted -> a tombstone
//   (the item is gone: not in the list, in ImportResult.Tombstones); any other status -> disabled. The status is kept
//   as metadata "hashStatus" unless Active.
// - caseNumbers: StopNCII's object {case: status} -> metadata "caseNumbers.<case>" = status (structured, written back
//   as an object); an array of strings -> metadata "caseNumbers", comma-joined. "hashId" or "id" -> label, "category"
//   -> category; all other properties -> metadata text (arrays/objects as raw JSON).
// - The response object's paging (nextPageToken, nextSetTimestamp, hasMoreRecords, count) -> ImportResult.Feed.
// - Record number: element number of the array (array or response object) or line number (JSON lines). In JSON lines
//   a malformed line is a record error (skippable); in the other forms broken JSON is fatal.
// - Export writes JSON lines, pdq as ImagePDQ and a video's md5 as VideoMD5.
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

        if (text.Contains("\"hashRecords\"", StringComparison.OrdinalIgnoreCase))
        {
            return 0.95;
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
        else if (first.StartsWith('{') && first.Contains("\"hashRecords\"", StringComparison.OrdinalIgnoreCase))
        {
            ReadResponse(all, collector);
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

    /// <summary>The FetchHashes response object: its records streamed one by one, its paging kept.</summary>
    private static void ReadResponse(Stream stream, ImportCollector collector)
    {
        var json = new JsonStreamReader(stream, collector);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw collector.Fatal("invalid JSON: a FetchHashes response is an object");
        }

        var feed = new FeedPosition();
        var sawRecords = false;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            var name = json.StringValue ?? "";
            if (name.Equals("hashRecords", StringComparison.OrdinalIgnoreCase) && json.Peek() == JsonTokenType.StartArray)
            {
                sawRecords = true;
                json.Read();
                var record = 0;
                while (json.Peek() is not JsonTokenType.EndArray and not JsonTokenType.None)
                {
                    using var document = json.ReadDocument();
                    collector.BeginRecord(++record);
                    ReadRecord(document.RootElement, collector);
                    collector.EndRecord();
                }

                json.Read();
                continue;
            }

            using var value = json.ReadDocument();
            var element = value.RootElement;
            switch (name.ToUpperInvariant())
            {
                case "NEXTPAGETOKEN":
                    feed = feed with { NextPage = JsonFields.AsText(element) };
                    break;
                case "HASMORERECORDS":
                    feed = feed with { HasMore = element.ValueKind == JsonValueKind.True || string.Equals(JsonFields.AsText(element), "true", StringComparison.OrdinalIgnoreCase) };
                    break;
                case "NEXTSETTIMESTAMP":
                    feed = feed with { NextTimestamp = ReadLong(element, "nextSetTimestamp", collector) };
                    break;
                case "COUNT":
                    feed = feed with { Count = ReadLong(element, "count", collector) };
                    break;
                default:
                    break;
            }
        }

        if (json.TokenType != JsonTokenType.EndObject)
        {
            throw collector.Fatal("invalid JSON: the FetchHashes response object is not closed");
        }

        if (json.Read())
        {
            throw collector.Fatal("invalid JSON: data after the closing }");
        }

        if (!sawRecords)
        {
            throw collector.Fatal("the FetchHashes response has no hashRecords array");
        }

        collector.Feed = feed;
    }

    private static long? ReadLong(JsonElement element, string field, ImportCollector collector)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var number))
        {
            return number;
        }

        if (element.ValueKind == JsonValueKind.String && long.TryParse(element.GetString(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out number))
        {
            return number;
        }

        throw collector.Fatal($"{field} is not a whole number: {element.GetRawText()}");
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
        string? status = null;
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
                    status = text;
                    break;
                case "CASENUMBERS" when property.Value.ValueKind == JsonValueKind.Object:
                    // StopNCII: {case number: that case's status}; kept one key per case, so it is read back whole.
                    foreach (var number in property.Value.EnumerateObject())
                    {
                        metadata[CaseNumberPrefix + number.Name] = JsonFields.AsText(number.Value) ?? "";
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

        SignalType? type;
        switch (signalName.Trim().ToUpperInvariant())
        {
            case "IMAGEPDQ":
                type = SignalTypes.Pdq;
                break;
            case "VIDEOMD5" or "VIDEO_MD5":
                type = SignalTypes.Md5;
                metadata["mediaType"] = "video";
                break;
            case "VIDEOTMK" or "TEXT" or "URL" or "UNKNOWN":
                collector.Skip("signalType", $"'{signalName}' hashes cannot be matched by Needle");
                return;
            default:
                if (!SignalTypes.TryGet(signalName, out type))
                {
                    collector.Error("signalType", $"'{signalName}' is not a known signal type (ImagePDQ, VideoMD5, video_md5, pdq, md5, sha1, sha256, photodna)");
                    return;
                }

                break;
        }

        var enabled = true;
        if (status is not null)
        {
            switch (status.Trim().ToUpperInvariant())
            {
                case "ACTIVE":
                    break;
                case "RECEIVED":
                    metadata["hashStatus"] = status;
                    break;
                case "WITHDRAWN" or "DELETED":
                    // Gone at the source: a tombstone, never an entry (a list kept in step removes the hash).
                    if (string.IsNullOrWhiteSpace(hashValue))
                    {
                        collector.Error("hashValue", "is empty");
                        return;
                    }

                    if (!type.TryNormalize(hashValue, out var gone, out var why))
                    {
                        collector.Error("hashValue", why);
                        return;
                    }

                    collector.Tombstone(type, gone, null);
                    return;
                default:
                    enabled = false;
                    metadata["hashStatus"] = status;
                    break;
            }
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

    private const string CaseNumberPrefix = "caseNumbers.";

    private static string ExportName(HashListEntry entry) =>
        entry.SignalType == SignalTypes.Pdq ? "ImagePDQ"
        : entry.SignalType == SignalTypes.Md5 && entry.Metadata.TryGetValue("mediaType", out var media) && media == "video" ? "VideoMD5"
        : entry.SignalType.Name;

    public void Write(HashList list, Stream stream)
    {
        var writer = new Utf8JsonWriter(stream);
        foreach (var entry in list.Entries)
        {
            writer.Reset(stream);
            writer.WriteStartObject();
            writer.WriteString("signalType", ExportName(entry));
            writer.WriteString("hashValue", entry.Value);
            var status = entry.Metadata.TryGetValue("hashStatus", out var s) ? s : entry.Enabled ? "Active" : "Inactive";
            writer.WriteString("hashStatus", status);
            if (entry.Label is { } label)
            {
                writer.WriteString("hashId", label);
            }

            if (entry.Category is { } category)
            {
                writer.WriteString("category", category);
            }

            var wroteCases = false;
            foreach (var (key, value) in entry.Metadata)
            {
                if (key == "hashStatus" || (key == "mediaType" && value == "video" && entry.SignalType == SignalTypes.Md5))
                {
                    continue;
                }

                if (key.StartsWith(CaseNumberPrefix, StringComparison.Ordinal))
                {
                    if (!wroteCases)
                    {
                        wroteCases = true;
                        writer.WriteStartObject("caseNumbers");
                        foreach (var (caseKey, caseStatus) in entry.Metadata)
                        {
                            if (caseKey.StartsWith(CaseNumberPrefix, StringComparison.Ordinal))
                            {
                                writer.WriteString(caseKey[CaseNumberPrefix.Length..], caseStatus);
                            }
                        }

                        writer.WriteEndObject();
                    }

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
