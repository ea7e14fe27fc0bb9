// Format "needle": Needle's native JSON lines, which round-trips everything.
// Line 1, the header: {"format":"needle-hashlist","version":1,"name":"...","kind":"known|allow","thresholds":{"pdq":31,...}}
//   (only thresholds set explicitly are written). Then one entry per line:
// {"id":1,"signalType":"pdq","value":"...","label":...,"category":...,"source":...,"enabled":true,"metadata":{"k":"v"}}
// Record number = line number. Ids are kept (duplicates are record errors). A missing or foreign header, or a newer
// version, is fatal. ImportOptions.ListName/Kind override the header.
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed class NeedleHashListFormat : IHashListFormat
{
    internal const string FormatTag = "needle-hashlist";
    private const int Version = 1;

    public string Name => "needle";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var lines = Sniff.ContentLines(Sniff.Text(head), 1);
        return lines.Count == 1 && lines[0].StartsWith('{') && lines[0].Contains("\"" + FormatTag + "\"", StringComparison.Ordinal) ? 1.0 : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        var documentOptions = new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth };
        // Lines as UTF-8 bytes, never decoded: the fast reader reads UTF-8, and only the rare line it leaves to the
        // general way becomes a string.
        using var reader = new Utf8LineReader(stream, collector);
        var fast = new NeedleEntryReader(options.MaxJsonDepth);
        var row = options.RowSink is null || options.EntrySink is not null ? null : new ImportRow();
        var sawHeader = false;
        while (reader.TryReadLine(out var line, out var tooLong))
        {
            if (!tooLong && IsBlank(line))
            {
                continue;
            }

            if (!sawHeader)
            {
                ReadHeader(tooLong ? string.Empty : Encoding.UTF8.GetString(line), tooLong, collector, documentOptions);
                sawHeader = true;
                continue;
            }

            collector.BeginRecord(reader.LineNumber);
            if (tooLong)
            {
                collector.Error(null, $"line is longer than {options.MaxLineLength} characters");
            }
            else if (row is not null && fast.TryRead(line, row))
            {
                collector.AddRow(row);
            }
            else if (fast.TryRead(line) is { } entry)
            {
                collector.Add(entry);
            }
            else
            {
                // Anything the fast reader does not take as it is (an error, an unusual field or type) is read here,
                // which names the problem or reads it leniently.
                try
                {
                    using var document = JsonDocument.Parse(Encoding.UTF8.GetString(line), documentOptions);
                    ReadEntry(document.RootElement, collector);
                }
                catch (JsonException e)
                {
                    collector.Error(null, $"invalid JSON: {e.Message}");
                }
            }

            collector.EndRecord();
        }

        if (!sawHeader)
        {
            throw collector.Fatal("the file is empty; a needle list starts with a header line");
        }

        return collector.Finish();
    }

    /// <summary>Whether the line is only white space, as <see cref="MemoryExtensions.Trim(ReadOnlySpan{char})"/> sees it.</summary>
    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b >= 0x80)
            {
                // Unicode white space (rare): decided on the characters.
                return Encoding.UTF8.GetString(line).AsSpan().Trim().IsEmpty;
            }

            if (!char.IsWhiteSpace((char)b))
            {
                return false;
            }
        }

        return true;
    }

    private static void ReadHeader(string line, bool tooLong, ImportCollector collector, JsonDocumentOptions documentOptions)
    {
        try
        {
            using var document = tooLong ? null : JsonDocument.Parse(line, documentOptions);
            var header = document?.RootElement;
            if (header is not { ValueKind: JsonValueKind.Object } h || JsonFields.GetText(h, "format") != FormatTag)
            {
                throw collector.Fatal($"the first line is not a {FormatTag} header");
            }

            if (!h.TryGetProperty("version", out var version) || !version.TryGetInt32(out var v) || v > Version)
            {
                throw collector.Fatal($"unsupported {FormatTag} version (this Needle reads version {Version})");
            }

            var kind = JsonFields.GetText(h, "kind") switch
            {
                null or "known" => HashListKind.Known,
                "allow" => HashListKind.Allow,
                var other => throw collector.Fatal($"header kind '{other}' is not known or allow"),
            };
            var name = collector.Options.ListName ?? JsonFields.GetText(h, "name") ?? collector.List.Name;
            var list = new HashList(string.IsNullOrWhiteSpace(name) ? "list" : name, collector.Options.Kind ?? kind, collector.Options.DetailDirectory);
            if (h.TryGetProperty("thresholds", out var thresholds) && thresholds.ValueKind == JsonValueKind.Object)
            {
                foreach (var threshold in thresholds.EnumerateObject())
                {
                    if (!SignalTypes.TryGet(threshold.Name, out var type) || !threshold.Value.TryGetDouble(out var value))
                    {
                        throw collector.Fatal($"header threshold '{threshold.Name}' is not a known signal type with a number");
                    }

                    try
                    {
                        list.SetThreshold(type, value);
                    }
                    catch (ArgumentOutOfRangeException e)
                    {
                        throw collector.Fatal($"header threshold {threshold.Name}: {e.Message}");
                    }
                }
            }

            collector.ReplaceList(list);
        }
        catch (JsonException e)
        {
            throw collector.Fatal($"invalid JSON in the header: {e.Message}", e);
        }
    }

    private static void ReadEntry(JsonElement entry, ImportCollector collector)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            collector.Error(null, "an entry must be a JSON object");
            return;
        }

        var id = 0;
        if (entry.TryGetProperty("id", out var idElement) && (!idElement.TryGetInt32(out id) || id <= 0))
        {
            collector.Error("id", "must be a positive integer");
            return;
        }

        if (!SignalTypes.TryGet(JsonFields.GetText(entry, "signalType"), out var type))
        {
            collector.Error("signalType", $"'{JsonFields.GetText(entry, "signalType")}' is not a known signal type");
            return;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (entry.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in metadataElement.EnumerateObject())
            {
                if (JsonFields.AsText(property.Value) is { } text)
                {
                    metadata[property.Name] = text;
                }
            }
        }

        var enabled = !entry.TryGetProperty("enabled", out var enabledElement) || enabledElement.ValueKind != JsonValueKind.False;
        collector.AddHash(type, JsonFields.GetText(entry, "value"), "value", (t, v) => new HashListEntry(t, v)
        {
            Id = id,
            Label = JsonFields.GetText(entry, "label"),
            Category = JsonFields.GetText(entry, "category"),
            Source = JsonFields.GetText(entry, "source"),
            Enabled = enabled,
            Metadata = metadata,
        });
    }

    public void Write(HashList list, Stream stream)
    {
        var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteString("format", FormatTag);
        writer.WriteNumber("version", Version);
        writer.WriteString("name", list.Name);
        writer.WriteString("kind", list.Kind == HashListKind.Allow ? "allow" : "known");
        writer.WriteStartObject("thresholds");
        foreach (var type in SignalTypes.All)
        {
            if (list.HasExplicitThreshold(type))
            {
                writer.WriteNumber(type.Name, list.GetThreshold(type));
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        EndLine(writer, stream);
        foreach (var entry in list.Entries)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", entry.Id);
            writer.WriteString("signalType", entry.SignalType.Name);
            writer.WriteString("value", entry.Value);
            WriteOptional(writer, "label", entry.Label);
            WriteOptional(writer, "category", entry.Category);
            WriteOptional(writer, "source", entry.Source);
            writer.WriteBoolean("enabled", entry.Enabled);
            if (entry.Metadata.Count > 0)
            {
                writer.WriteStartObject("metadata");
                foreach (var (key, value) in entry.Metadata)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            EndLine(writer, stream);
        }

        writer.Dispose();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void EndLine(Utf8JsonWriter writer, Stream stream)
    {
        writer.Flush();
        stream.WriteByte((byte)'\n');
        writer.Reset(stream);
    }
}
