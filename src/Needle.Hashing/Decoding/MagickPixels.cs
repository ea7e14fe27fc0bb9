namespace Needle.Hashing.Decoding;

/// <summary>An image read by <see cref="MagickDecoder"/>: 8-bit RGBA and what the file said; holds its memory reservation until disposed.</summary>
internal sealed class MagickPixels(
    byte[] rgba, int width, int height, ImageFormat format, int exifOrientation, int bitsPerSample, DecodeMemoryBudget.Reservation reservation)
    : IDisposable
{
    /// <summary>Width * height RGBA pixels, unpremultiplied; a managed array the caller may hand over.</summary>
    public byte[] Rgba { get; } = rgba;

    public int Width { get; } = width;

    public int Height { get; } = height;

    public ImageFormat Format { get; } = format;

    public int ExifOrientation { get; } = exifOrientation;

    public int BitsPerSample { get; } = bitsPerSample;

    public void Dispose() => reservation.Dispose();
}
