namespace Needle.Core.Clues;

/// <summary>A person's name found in the metadata; <paramref name="Source"/> is e.g. <c>exif:artist</c>, <c>xmp:creator</c>.</summary>
/// <param name="Source">Which metadata field the name came from.</param>
/// <param name="Name">The name as stored in the file (trimmed).</param>
public sealed record NameClue(string Source, string Name);
