namespace Needle.Core.Clues;

/// <summary>A person's name found in the metadata; <paramref name="Source"/> is e.g. <c>exif:artist</c>, <c>xmp:creator</c>.</summary>
public sealed record NameClue(string Source, string Name);
