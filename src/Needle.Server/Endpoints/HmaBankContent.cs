using System.Globalization;
using System.Text.Json;
using Needle.Matching.Lists;

namespace Needle.Server.Endpoints;

/// <summary>
/// How an HMA bank content item lives in a Needle list. HMA keeps one content item with several signals; Needle keeps
/// one entry per signal. The signals of one item are added together, so their entry ids are consecutive: the first
/// entry's id is the content id, and each entry of an item with more than one signal carries its position
/// (<c>hma.part</c>), so a hit on any signal reports the content id. The user metadata and the note ride on every
/// entry of the item (as <c>hma.*</c> metadata).
/// </summary>
internal static class HmaBankContent
{
    public const string PartKey = "hma.part";
    public const string PartsKey = "hma.parts";
    public const string ContentIdKey = "hma.content_id";
    public const string ContentUriKey = "hma.content_uri";
    public const string JsonKey = "hma.json";
    public const string NoteKey = "hma.note";

    public const int MaxNote = 255;
    public const int MaxText = 2048;
    public const int MaxJsonChars = 16 * 1024;

    /// <summary>The content id an entry belongs to.</summary>
    public static int ContentId(HashListEntry entry) =>
        entry.Metadata.TryGetValue(PartKey, out var part) && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? entry.Id - index
            : entry.Id;

    /// <summary>The entries of content <paramref name="contentId"/>: empty when the id is not the first entry of an item.</summary>
    public static List<HashListEntry> Entries(HashList list, int contentId)
    {
        var entries = new List<HashListEntry>();
        if (!list.TryGet(contentId, out var first) || ContentId(first) != contentId)
        {
            return entries;
        }

        entries.Add(first);
        var parts = first.Metadata.TryGetValue(PartsKey, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;
        for (var i = 1; i < parts; i++)
        {
            if (list.TryGet(contentId + i, out var next) && ContentId(next) == contentId)
            {
                entries.Add(next);
            }
        }

        return entries;
    }

    /// <summary>The metadata every entry of a new item carries.</summary>
    public static Dictionary<string, string> Metadata(HmaContentMetadata? metadata, string? note, int part, int parts)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parts > 1)
        {
            result[PartKey] = part.ToString(CultureInfo.InvariantCulture);
            result[PartsKey] = parts.ToString(CultureInfo.InvariantCulture);
        }

        if (metadata?.ContentId is { } contentId)
        {
            result[ContentIdKey] = contentId;
        }

        if (metadata?.ContentUri is { } contentUri)
        {
            result[ContentUriKey] = contentUri;
        }

        if (metadata?.Json is { } json)
        {
            result[JsonKey] = json.GetRawText();
        }

        if (note is not null)
        {
            result[NoteKey] = note;
        }

        return result;
    }

    /// <summary>The user metadata stored on an entry; null when there is none.</summary>
    public static HmaContentMetadata? ReadMetadata(HashListEntry entry)
    {
        var m = entry.Metadata;
        JsonElement? json = null;
        if (m.TryGetValue(JsonKey, out var text))
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
        }

        var contentId = m.GetValueOrDefault(ContentIdKey);
        var contentUri = m.GetValueOrDefault(ContentUriKey);
        return contentId is null && contentUri is null && json is null ? null : new HmaContentMetadata(contentId, contentUri, json, null);
    }

    /// <summary>
    /// Reads HMA's <c>metadata</c> JSON object ({content_id, content_uri, json}); any other object is taken as the
    /// <c>json</c> part itself (Coop sends its free-form JSON in the <c>metadata</c> form field), and the separate
    /// <c>content_id</c> and <c>content_uri</c> fields (form or query) fill in what the object lacks.
    /// </summary>
    public static (HmaContentMetadata? Metadata, string? Problem) ParseMetadata(string? metadataText, JsonElement? metadataJson, string? contentId, string? contentUri)
    {
        JsonElement? element = metadataJson;
        if (metadataText is not null)
        {
            try
            {
                using var document = JsonDocument.Parse(metadataText);
                element = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return (null, "metadata form field must be valid JSON");
            }
        }

        JsonElement? json = null;
        if (element is { } value && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                return (null, "metadata should be a json object");
            }

            var hmaShape = value.EnumerateObject().Any() && value.EnumerateObject().All(static p => p.Name is "content_id" or "content_uri" or "json" or "collab");
            if (hmaShape)
            {
                contentId ??= Text(value, "content_id");
                contentUri ??= Text(value, "content_uri");
                if (value.TryGetProperty("json", out var inner) && inner.ValueKind != JsonValueKind.Null)
                {
                    if (inner.ValueKind != JsonValueKind.Object)
                    {
                        return (null, "Invalid metadata: json must be an object");
                    }

                    json = inner;
                }
            }
            else
            {
                json = value;
            }
        }

        if (contentId?.Length > MaxText || contentUri?.Length > MaxText)
        {
            return (null, $"Invalid metadata: content_id and content_uri are at most {MaxText} characters");
        }

        if (json is { } j && j.GetRawText().Length > MaxJsonChars)
        {
            return (null, $"Invalid metadata: json is at most {MaxJsonChars} characters");
        }

        return contentId is null && contentUri is null && json is null ? (null, null) : (new HmaContentMetadata(contentId, contentUri, json, null), null);
    }

    /// <summary>HMA's note check: a string of at most 255 characters; empty means none.</summary>
    public static (string? Note, string? Problem) ParseNote(JsonElement? value)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        return v.ValueKind != JsonValueKind.String ? (null, "note should be a string") : ParseNote(v.GetString());
    }

    /// <summary>As <see cref="ParseNote(JsonElement?)"/> for a form or query field.</summary>
    public static (string? Note, string? Problem) ParseNote(string? value) =>
        string.IsNullOrEmpty(value) ? (null, null)
        : value.Length > MaxNote ? (null, $"note must be at most {MaxNote} characters")
        : (value, null);

    private static string? Text(JsonElement value, string name) =>
        value.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
