namespace Needle.Metadata;

/// <summary>
/// The EXIF thumbnail's bytes (a JPEG, copied out of the file). Editors often update the main image and forget the
/// thumbnail, so a thumbnail that shows a different picture is a clue to the original: hash both and compare.
/// </summary>
/// <param name="jpeg">The thumbnail's bytes, copied out of the file.</param>
public sealed class EmbeddedThumbnail(byte[] jpeg)
{
    /// <summary>The thumbnail's bytes: a JPEG of at most 1 MiB.</summary>
    public ReadOnlyMemory<byte> Jpeg { get; } = jpeg;

    /// <summary>Size of the thumbnail, in bytes.</summary>
    public int Length => Jpeg.Length;
}
