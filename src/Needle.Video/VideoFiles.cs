namespace Needle.Video;

/// <summary>Which file names are taken for videos.</summary>
public static class VideoFiles
{
    /// <summary>Extensions (lowercase, with dot) treated as video.</summary>
    public static IReadOnlySet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".3gp", ".wmv", ".flv", ".ts",
    };

    /// <summary>Whether <paramref name="path"/> has a video extension.</summary>
    public static bool IsVideo(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>
    /// Whether the first bytes of a file look like a video container: ISO BMFF (MP4, MOV, 3GP: <c>ftyp</c> at 4),
    /// Matroska/WebM (EBML), AVI (<c>RIFF....AVI </c>), FLV, ASF/WMV, MPEG program stream, or an MPEG transport stream
    /// (sync byte every 188 bytes). Image formats in ISO BMFF (HEIC/AVIF brands) are not videos.
    /// </summary>
    public static bool LooksLikeVideo(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = head[8..12];
            return !(brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8) ||
                     brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8) || brand.SequenceEqual("msf1"u8));
        }

        return head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]) ||
               (head.Length >= 12 && head.StartsWith("RIFF"u8) && head[8..12].SequenceEqual("AVI "u8)) ||
               head.StartsWith("FLV\x01"u8) ||
               head.StartsWith((ReadOnlySpan<byte>)[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) ||
               head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0x01, 0xBA]) ||
               (head.Length >= 377 && head[0] == 0x47 && head[188] == 0x47 && head[376] == 0x47);
    }
}
