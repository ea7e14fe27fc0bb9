// Format "ncmec": NCMEC hash-sharing XML.
// Assumptions (NCMEC's schema is not public here; this reader is deliberately lenient about structure):
// - Any root element; every <image> or <video> element anywhere is one record (record number = its 1-based ordinal;
//   the reason names the XML line). Element names are matched case-insensitively, namespaces ignored.
// - Hashes are the children of <fingerprints> (or, leniently, of the item itself): <md5>, <sha1>, <sha256>, <pdq>,
//   <pdna> or <photodna> (PhotoDNA base64). Unknown fingerprint children are kept as metadata "fingerprint.<name>".
// - Label: attribute or child "id" (also "imageId"/"mediaId"); NCMEC's ids are unique per member only, so with a
//   <member id="M">name</member> child the label is "M-id" (metadata "memberId" = M, "member" = name). Category:
//   attribute or child "classification" (also "category").
// - <deletedImage>/<deletedVideo> (the API's tombstones) -> ImportResult.Tombstones by that label, never entries.
// - One bad fingerprint voids only itself (an error, so a strict import fails; with SkipInvalid the item's other hashes
//   are kept).
// - <paging><next> and the maxTimestamp attribute of <images>/<videos> (the API's response) -> ImportResult.Feed. Other attributes and simple child elements become metadata; <meta name="k">v</meta> too (Needle
//   writes metadata whose key is not an XML name that way). Metadata "mediaType" records image or video.
// - Security: DTDs are prohibited (so no entity expansion bombs and no XXE), no resolver, no external access.
// - Export: root <hashList>, one <image>/<video> per label group with id attribute, <classification>, <fingerprints>,
//   then metadata. Disabled entries are skipped (the format has no flag for them).
using System.Xml;
using System.Xml.Linq;
using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

internal sealed class NcmecHashListFormat : IHashListFormat
{
    public string Name => "ncmec";

    public double Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        var text = Sniff.Text(head);
        if (!text.StartsWith('<'))
        {
            return 0;
        }

        if (text.Contains("<fingerprints", StringComparison.OrdinalIgnoreCase))
        {
            return 0.95;
        }

        return text.Contains("<image", StringComparison.OrdinalIgnoreCase) || text.Contains("<video", StringComparison.OrdinalIgnoreCase) ? 0.7 : 0.2;
    }

    internal static XmlReaderSettings SafeSettings(ImportOptions options) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = 0,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = false,
    };

    public ImportResult Read(Stream stream, ImportOptions options)
    {
        var collector = new ImportCollector(Name, options);
        var record = 0;
        string? next = null;
        DateTimeOffset? maxTimestamp = null;
        var paged = false;
        try
        {
            using var xml = XmlReader.Create(stream, SafeSettings(options));
            xml.MoveToContent();
            while (!xml.EOF)
            {
                if (xml.NodeType == XmlNodeType.Element && IsSection(xml.LocalName))
                {
                    if (xml.GetAttribute("maxTimestamp") is { } max)
                    {
                        paged = true;
                        var at = ParseTimestamp(max, collector, (xml as IXmlLineInfo)?.LineNumber ?? 0);
                        maxTimestamp = maxTimestamp is { } known && known > at ? known : at;
                    }

                    xml.Read();
                    continue;
                }

                if (xml.NodeType == XmlNodeType.Element && xml.LocalName.Equals("paging", StringComparison.OrdinalIgnoreCase))
                {
                    paged = true;
                    XElement paging;
                    using (var subtree = xml.ReadSubtree())
                    {
                        paging = XElement.Load(subtree);
                    }

                    xml.Skip();
                    next = paging.Elements().FirstOrDefault(static e => e.Name.LocalName.Equals("next", StringComparison.OrdinalIgnoreCase))?.Value.Trim();
                    continue;
                }

                if (xml.NodeType == XmlNodeType.Element && IsDeletedItem(xml.LocalName))
                {
                    var line = (xml as IXmlLineInfo)?.LineNumber ?? 0;
                    XElement deleted;
                    using (var subtree = xml.ReadSubtree())
                    {
                        deleted = XElement.Load(subtree);
                    }

                    xml.Skip();
                    collector.BeginRecord(++record);
                    ReadTombstone(deleted, line, collector);
                    collector.EndRecord();
                    continue;
                }

                if (xml.NodeType == XmlNodeType.Element && IsItem(xml.LocalName))
                {
                    var line = (xml as IXmlLineInfo)?.LineNumber ?? 0;
                    var mediaType = xml.LocalName.ToLowerInvariant();
                    XElement item;
                    using (var subtree = xml.ReadSubtree())
                    {
                        item = XElement.Load(subtree);
                    }

                    // The outer reader now sits on the item's end tag (or the empty element): step past it.
                    xml.Skip();
                    collector.BeginRecord(++record);
                    ReadItem(item, mediaType, line, collector);
                    collector.EndRecord();
                    continue;
                }

                xml.Read();
            }
        }
        catch (XmlException e)
        {
            throw collector.Fatal($"invalid XML at line {e.LineNumber}: {e.Message}", e);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw collector.Fatal("the file is not valid in its declared encoding", e);
        }

        if (paged)
        {
            collector.Feed = new FeedPosition { NextPage = string.IsNullOrEmpty(next) ? null : next, HasMore = !string.IsNullOrEmpty(next), MaxTimestamp = maxTimestamp };
        }

        return collector.Finish();
    }

    private static bool IsSection(string localName) =>
        localName.Equals("images", StringComparison.OrdinalIgnoreCase) || localName.Equals("videos", StringComparison.OrdinalIgnoreCase);

    private static bool IsDeletedItem(string localName) =>
        localName.Equals("deletedImage", StringComparison.OrdinalIgnoreCase) || localName.Equals("deletedVideo", StringComparison.OrdinalIgnoreCase);

    private static DateTimeOffset ParseTimestamp(string text, ImportCollector collector, int line) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw collector.Fatal($"maxTimestamp '{text}' is not a date and time (line {line})");

    /// <summary>A deleted item: its label (member id and id), as the item it removes was labelled.</summary>
    private static void ReadTombstone(XElement item, int line, ImportCollector collector)
    {
        var id = item.Attribute("id")?.Value ?? ChildValue(item, "id");
        if (string.IsNullOrWhiteSpace(id))
        {
            collector.Error("id", $"the deleted item has no id (line {line})");
            return;
        }

        var member = item.Elements().FirstOrDefault(static e => e.Name.LocalName.Equals("member", StringComparison.OrdinalIgnoreCase))?.Attribute("id")?.Value;
        collector.Tombstone(null, null, LabelOf(member, id.Trim()));
    }

    private static string? ChildValue(XElement item, string name) =>
        item.Elements().FirstOrDefault(e => e.Name.LocalName.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value;

    private static string LabelOf(string? memberId, string id) => string.IsNullOrWhiteSpace(memberId) ? id : $"{memberId.Trim()}-{id}";

    private static bool IsItem(string localName) =>
        localName.Equals("image", StringComparison.OrdinalIgnoreCase) || localName.Equals("video", StringComparison.OrdinalIgnoreCase);

    private static void ReadItem(XElement item, string mediaType, int line, ImportCollector collector)
    {
        string? label = null;
        string? category = null;
        string? memberId = null;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["mediaType"] = mediaType };
        var hashes = new List<(SignalType Type, string Value, string Field)>();

        foreach (var attribute in item.Attributes())
        {
            if (attribute.IsNamespaceDeclaration)
            {
                continue;
            }

            Assign(attribute.Name.LocalName, attribute.Value);
        }

        foreach (var child in item.Elements())
        {
            var name = child.Name.LocalName;
            if (name.Equals("fingerprints", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var fingerprint in child.Elements())
                {
                    var fingerprintName = fingerprint.Name.LocalName;
                    if (HashTypeFor(fingerprintName) is { } type)
                    {
                        hashes.Add((type, fingerprint.Value, fingerprintName));
                    }
                    else
                    {
                        metadata["fingerprint." + fingerprintName] = fingerprint.Value;
                    }
                }
            }
            else if (HashTypeFor(name) is { } type)
            {
                hashes.Add((type, child.Value, name));
            }
            else if (name.Equals("member", StringComparison.OrdinalIgnoreCase) && child.Attribute("id")?.Value is { } member)
            {
                memberId = member.Trim();
                metadata["memberId"] = memberId;
                metadata["member"] = child.Value;
            }
            else if (name.Equals("meta", StringComparison.OrdinalIgnoreCase) && child.Attribute("name")?.Value is { } key)
            {
                metadata[key] = child.Value;
            }
            else if (!child.HasElements)
            {
                Assign(name, child.Value);
            }
            else
            {
                metadata[name] = child.ToString(SaveOptions.DisableFormatting);
            }
        }

        if (memberId is not null && label is not null)
        {
            label = LabelOf(memberId, label);
        }

        var count = 0;
        foreach (var (type, value, field) in hashes)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            count++;
            if (type.CanNeverMatch(value, out var why))
            {
                collector.Skip(field, $"{why} (line {line})");
                continue;
            }

            if (!type.TryNormalize(value, out var normalized, out var reason))
            {
                // Only this fingerprint is lost: a truncated pdna must not take the item's valid md5 and sha1 with it.
                collector.ValueError(field, $"{reason} (line {line})");
                continue;
            }

            collector.Add(new HashListEntry(type, normalized)
            {
                Label = label,
                Category = category,
                Source = collector.DefaultSource ?? "ncmec",
                Metadata = metadata,
            });
        }

        if (count == 0)
        {
            collector.Error("fingerprints", $"the {mediaType} has no md5, sha1, pdna or pdq fingerprint (line {line})");
        }

        void Assign(string name, string value)
        {
            switch (name.ToUpperInvariant())
            {
                case "ID" or "IMAGEID" or "MEDIAID" or "VIDEOID":
                    label = value.Trim();
                    break;
                case "CLASSIFICATION" or "CATEGORY":
                    category = value.Trim();
                    break;
                default:
                    metadata[name] = value;
                    break;
            }
        }
    }

    private static SignalType? HashTypeFor(string name) => name.ToUpperInvariant() switch
    {
        "MD5" => SignalTypes.Md5,
        "SHA1" => SignalTypes.Sha1,
        "SHA256" => SignalTypes.Sha256,
        "PDNA" or "PHOTODNA" => SignalTypes.PhotoDna,
        "PDQ" => SignalTypes.Pdq,
        _ => null,
    };

    private static string ElementName(SignalType type) => type == SignalTypes.PhotoDna ? "pdna" : type.Name;

    public void Write(HashList list, Stream stream)
    {
        var rows = EntryRows.Group(list.Entries, enabledOnly: true);
        using var writer = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, CloseOutput = false, Encoding = new System.Text.UTF8Encoding(false) });
        writer.WriteStartDocument();
        writer.WriteStartElement("hashList");
        writer.WriteAttributeString("name", list.Name);
        foreach (var row in rows)
        {
            var metadata = row.First.Metadata;
            writer.WriteStartElement(metadata.TryGetValue("mediaType", out var mediaType) && mediaType == "video" ? "video" : "image");
            metadata.TryGetValue("memberId", out var memberId);
            if (row.Label is { } label)
            {
                writer.WriteAttributeString("id", memberId is not null && label.StartsWith(memberId + "-", StringComparison.Ordinal) ? label[(memberId.Length + 1)..] : label);
            }

            if (memberId is not null)
            {
                writer.WriteStartElement("member");
                writer.WriteAttributeString("id", memberId);
                writer.WriteString(metadata.TryGetValue("member", out var memberName) ? memberName : "");
                writer.WriteEndElement();
            }

            if (row.First.Category is { } category)
            {
                writer.WriteElementString("classification", category);
            }

            writer.WriteStartElement("fingerprints");
            foreach (var (type, entry) in row.Values)
            {
                writer.WriteElementString(ElementName(type), entry.Value);
            }

            foreach (var (key, value) in metadata)
            {
                if (key.StartsWith("fingerprint.", StringComparison.Ordinal))
                {
                    writer.WriteElementString(key["fingerprint.".Length..], value);
                }
            }

            writer.WriteEndElement();
            foreach (var (key, value) in metadata)
            {
                if (key is "mediaType" or "memberId" or "member" || key.StartsWith("fingerprint.", StringComparison.Ordinal))
                {
                    continue;
                }

                if (IsPlainName(key))
                {
                    writer.WriteElementString(key, value);
                }
                else
                {
                    writer.WriteStartElement("meta");
                    writer.WriteAttributeString("name", key);
                    writer.WriteString(value);
                    writer.WriteEndElement();
                }
            }

            writer.WriteEndElement();
        }

        writer.WriteEndElement();
        writer.WriteEndDocument();
    }

    /// <summary>A key that can be an element name and is not one the reader gives another meaning.</summary>
    private static bool IsPlainName(string key)
    {
        try
        {
            XmlConvert.VerifyNCName(key);
        }
        catch (XmlException)
        {
            return false;
        }

        var upper = key.ToUpperInvariant();
        return HashTypeFor(key) is null && upper is not ("ID" or "IMAGEID" or "MEDIAID" or "VIDEOID" or "CLASSIFICATION" or "CATEGORY" or "META" or "FINGERPRINTS" or "MEMBER" or "PAGING" or "IMAGES" or "VIDEOS");
    }
}
