namespace Needle.Metadata;

/// <summary>A person's name found in the metadata.</summary>
/// <param name="Source">Which field: <c>exif:artist</c>, <c>exif:owner</c>, <c>exif:copyright</c>, <c>xmp:creator</c>, <c>iptc:by-line</c>, <c>iptc:copyright</c>.</param>
/// <param name="Name">The text as stored (trimmed).</param>
public sealed record MetadataName(string Source, string Name);
