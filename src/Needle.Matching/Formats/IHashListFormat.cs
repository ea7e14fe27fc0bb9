using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>A file format hash lists are imported from and exported to.</summary>
public interface IHashListFormat
{
    /// <summary>Short name used to force the format (<c>csv</c>, <c>vics</c>, ...).</summary>
    string Name { get; }

    /// <summary>
    /// How confident this format is that a file starting with <paramref name="head"/> is its own: 0 (no) to 1 (sure).
    /// <paramref name="head"/> is the first few KiB; <paramref name="fileName"/> may break ties by extension.
    /// </summary>
    double Detect(ReadOnlySpan<byte> head, string? fileName);

    /// <summary>Reads a list. Throws <see cref="HashListFormatException"/> on invalid input unless <see cref="ImportOptions.SkipInvalid"/>.</summary>
    ImportResult Read(Stream stream, ImportOptions options);

    /// <summary>Writes a list. Throws <see cref="NotSupportedException"/> when the format cannot hold some entries.</summary>
    void Write(HashList list, Stream stream);
}
