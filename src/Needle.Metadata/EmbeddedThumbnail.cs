namespace Needle.Metadata;

/// <summary>
/// The EXIF thumbnail's bytes (a JPEG, copied out of the file). Editors often update the main image and forget the
/// thumbnail, so a thumbnail that shows a different picture is a clue to the original: hash both and compare.
/// </summary>
public sealed class EmbeddedThumbnail(byte[] jpeg)
{
    public ReadOnlyMemory<byte> Jpeg { get; } = jpeg;

    public int Length => Jpeg.Length;
}
