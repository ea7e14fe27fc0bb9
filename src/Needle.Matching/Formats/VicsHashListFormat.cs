// Format "vics": Project VIC VICS JSON, OData 1.3 ("odata.metadata") and 2.0 ("@odata.context").
// Assumptions:
// - Each element of "value" is a Media and one record (record number = 1-based position in "value").
// - Hashes are read from the 1.3 fields (MD5, SHA1, PhotoDNA, and PDQ/SHA256 if present) AND from a 2.0 "Hashes"
//   array of {HashName, HashValue}, in either version: real 2.0 exports also carry top-level MD5/SHA1. The same value
//   given twice in one Media yields one entry. Empty or null hash values mean "absent". Unknown HashNames are kept as
//   metadata "Hash.<name>". A Media without any hash is invalid.
// - MediaID (number or string) becomes the label shared by the Media's entries; Category must be an integer (or a
//   numeric string). Every other property (Series, VictimIdentified, OffenderIdentified, IsDistributed, Tags,
//   Comments, ...) is kept as metadata text, arrays/objects as raw JSON.
// - The file is streamed: one Media is in memory at a time (buffer capped by ImportOptions.MaxRecordBytes), depth is
//   capped by ImportOptions.MaxJsonDepth.
// - Export writes 2.0 by default (1.3 with VicsVersion.V1_3, which has no field for PDQ or SHA-256 and throws for
//   them). Entries sharing a label are one Media. VICS has no "disabled" flag: disabled entries are not exported.
//   Metadata text that is valid JSON number/bool/array/object is written as such (VICS types), otherwise as string.
using System.Globalization;
using System.Text.Json;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>Project VIC VICS JSON (reads 1.3 and 2.0; writes <see cref="WriteVersion"/>).</summary>
/// <param name="writeVersion">The data model <see cref="Write"/> produces; 2.0 by default.</param>
public sealed class VicsHashListFormat(VicsVersion writeVersion = VicsVersion.V2_0) : IHashListFormat
{
    private const string Context20 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media";
    private const string Metadata13 = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml/$metadata#Media";

    /// <summary><c>vics</c>; <c>vics-1.3</c> in <see cref="HashListFormats.TryGet"/> forces <see cref="VicsVersion.V1_3"/> on write.</summary>
    public string Name => "vics";

    /// <summary>The data model <see cref="Write"/> produces; reading accepts both.</summary>
    public VicsVersion WriteVersion { get; } = writeVersion;

    /// <inheritdoc/>
    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = Sniff.Text(head);
        if (!text.StartsWith('{'))
        {
            return 0;
        }

        if (text.Contains("$metadata#Media", StringComparison.Ordinal) ||
            (text.Contains("odata", StringComparison.Ordinal) && text.Contains("\"MediaID\"", StringComparison.OrdinalIgnoreCase)))
        {
            return 0.95;
        }

        return text.Contains("\"MediaID\"", StringComparison.OrdinalIgnoreCase) ? 0.6 : 0;
    }

    /// <inheritdoc/>
    public ImportResult Read(Stream stream, ImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        var collector = new ImportCollector(Name, options);
        var json = new JsonStreamReader(stream, collector);
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
        {
            throw collector.Fatal("a VICS file is a JSON object with a \"value\" array of Media");
        }

        var sawValue = false;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (!string.Equals(json.StringValue, "value", StringComparison.OrdinalIgnoreCase))
            {
                json.SkipValue();
                continue;
            }

            if (!json.Read() || json.TokenType != JsonTokenType.StartArray)
            {
                throw collector.Fatal("\"value\" must be an array of Media");
            }

            sawValue = true;
            var record = 0;
            while (json.Peek() is not JsonTokenType.EndArray and not JsonTokenType.None)
            {
                using var media = json.ReadDocument();
                collector.BeginRecord(++record);
                ReadMedia(media.RootElement, collector);
                collector.EndRecord();
            }

            json.Read(); // EndArray
        }

        if (!sawValue)
        {
            throw collector.Fatal("no \"value\" array of Media found");
        }

        return collector.Finish();
    }

    private static void ReadMedia(JsonElement media, ImportCollector collector)
    {
        if (media.ValueKind != JsonValueKind.Object)
        {
            collector.Error(null, "a Media must be a JSON object");
            return;
        }

        string? label = null;
        string? category = null;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var hashes = new List<(SignalType Type, string Value, string Field)>();
        foreach (var property in media.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            if (name.Equals("MediaID", StringComparison.OrdinalIgnoreCase))
            {
                label = JsonFields.AsText(value);
            }
            else if (name.Equals("Category", StringComparison.OrdinalIgnoreCase))
            {
                var text = JsonFields.AsText(value);
                if (text is not null && !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                {
                    collector.Error("Category", $"'{text}' is not an integer category");
                }

                category = text;
            }
            else if (name.Equals("Hashes", StringComparison.OrdinalIgnoreCase))
            {
                ReadHashesArray(value, collector, hashes, metadata);
            }
            else if (HashTypeFor(name) is { } type)
            {
                if (JsonFields.AsText(value) is { Length: > 0 } hash)
                {
                    hashes.Add((type, hash, name));
                }
            }
            else if (JsonFields.AsText(value) is { } text)
            {
                metadata[name] = text;
            }
        }

        if (hashes.Count == 0)
        {
            collector.Error("Hashes", "the Media has no MD5, SHA1, PhotoDNA or PDQ hash");
            return;
        }

        var seen = new HashSet<(SignalType, string)>();
        foreach (var (type, hash, field) in hashes)
        {
            if (type.CanNeverMatch(hash, out var why))
            {
                collector.Skip(field, why);
                continue;
            }

            if (!type.TryNormalize(hash, out var normalized, out var reason))
            {
                collector.Error(field, reason);
                continue;
            }

            if (seen.Add((type, normalized)))
            {
                collector.Add(new HashListEntry(type, normalized)
                {
                    Label = label,
                    Category = category,
                    Source = collector.DefaultSource ?? "vics",
                    Metadata = metadata,
                });
            }
        }
    }

    private static void ReadHashesArray(JsonElement hashesArray, ImportCollector collector, List<(SignalType, string, string)> hashes, Dictionary<string, string> metadata)
    {
        if (hashesArray.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (hashesArray.ValueKind != JsonValueKind.Array)
        {
            collector.Error("Hashes", "must be an array of {HashName, HashValue}");
            return;
        }

        var index = 0;
        foreach (var item in hashesArray.EnumerateArray())
        {
            index++;
            var field = $"Hashes[{index}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                collector.Error(field, "must be an object {HashName, HashValue}");
                continue;
            }

            var hashName = JsonFields.GetText(item, "HashName");
            var hashValue = JsonFields.GetText(item, "HashValue");
            if (string.IsNullOrWhiteSpace(hashName))
            {
                collector.Error(field + ".HashName", "is missing");
                continue;
            }

            if (string.IsNullOrWhiteSpace(hashValue))
            {
                continue;
            }

            if (HashTypeFor(hashName) is { } type)
            {
                hashes.Add((type, hashValue, $"{field}.HashValue ({hashName})"));
            }
            else
            {
                metadata["Hash." + hashName] = hashValue;
            }
        }
    }

    private static SignalType? HashTypeFor(string name) => name.ToUpperInvariant() switch
    {
        "MD5" => SignalTypes.Md5,
        "SHA1" or "SHA-1" => SignalTypes.Sha1,
        "SHA256" or "SHA-256" => SignalTypes.Sha256,
        "PHOTODNA" => SignalTypes.PhotoDna,
        "PDQ" => SignalTypes.Pdq,
        _ => null,
    };

    private static string VicsHashName(SignalType type) =>
        type == SignalTypes.Md5 ? "MD5" :
        type == SignalTypes.Sha1 ? "SHA1" :
        type == SignalTypes.Sha256 ? "SHA256" :
        type == SignalTypes.PhotoDna ? "PhotoDNA" :
        type == SignalTypes.Pdq ? "PDQ" : type.Name;

    /// <summary>
    /// Writes the enabled entries (VICS has no disabled flag) as <see cref="WriteVersion"/>; entries sharing a label are
    /// one Media. Throws <see cref="NotSupportedException"/> for 1.3 when an entry is not MD5, SHA-1 or PhotoDNA.
    /// </summary>
    public void Write(HashList list, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(list);
        var rows = EntryRows.Group(list.Entries, enabledOnly: true);
        if (WriteVersion == VicsVersion.V1_3)
        {
            foreach (var row in rows)
            {
                foreach (var type in row.Values.Keys)
                {
                    if (type != SignalTypes.Md5 && type != SignalTypes.Sha1 && type != SignalTypes.PhotoDna)
                    {
                        throw new NotSupportedException($"VICS 1.3 has no field for {type.Name} (entry {row.Values[type].Id}); write VICS 2.0.");
                    }
                }
            }
        }

        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString(WriteVersion == VicsVersion.V2_0 ? "@odata.context" : "odata.metadata", WriteVersion == VicsVersion.V2_0 ? Context20 : Metadata13);
        writer.WriteStartArray("value");
        foreach (var row in rows)
        {
            writer.WriteStartObject();
            WriteScalar(writer, "MediaID", row.Label ?? row.First.Id.ToString(CultureInfo.InvariantCulture), numberOnly: true);
            if (row.First.Category is { } category)
            {
                WriteScalar(writer, "Category", category, numberOnly: true);
            }

            if (WriteVersion == VicsVersion.V1_3)
            {
                foreach (var (type, entry) in row.Values)
                {
                    writer.WriteString(VicsHashName(type), entry.Value);
                }
            }
            else
            {
                writer.WriteStartArray("Hashes");
                foreach (var (type, entry) in row.Values)
                {
                    writer.WriteStartObject();
                    writer.WriteString("HashName", VicsHashName(type));
                    writer.WriteString("HashValue", entry.Value);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            foreach (var (key, value) in row.First.Metadata)
            {
                if (key.StartsWith("Hash.", StringComparison.Ordinal))
                {
                    continue;
                }

                WriteScalar(writer, key, value, numberOnly: false);
            }

            writer.WriteEndObject();
            if (writer.BytesPending > 64 * 1024)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Writes text back as the JSON type it came from: a number, bool, array or object if it parses as one.</summary>
    private static void WriteScalar(Utf8JsonWriter writer, string name, string value, bool numberOnly)
    {
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) &&
            number.ToString(CultureInfo.InvariantCulture) == value)
        {
            writer.WriteNumber(name, number);
            return;
        }

        if (!numberOnly)
        {
            if (value is "true" or "false")
            {
                writer.WriteBoolean(name, value == "true");
                return;
            }

            if (value.Length > 1 && (value[0] == '[' || value[0] == '{') && IsJson(value))
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(value, skipInputValidation: true);
                return;
            }
        }

        writer.WriteString(name, value);
    }

    private static bool IsJson(string value)
    {
        try
        {
            using var document = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = 32 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
